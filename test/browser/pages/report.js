// The test pages' common frame: run the page's body with an object to fill, keep it (or the error
// the body threw, as `error`) in globalThis.__results for the test to read, and mark the page done.
export async function report(body) {
  const out = {};
  try {
    await body(out);
  } catch (e) {
    out.error = String((e && e.stack) || e);
  }
  globalThis.__results = out;
  document.body.dataset.state = 'done';
}
