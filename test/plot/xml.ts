/**
 * A tiny, strict XML well-formedness checker for tests (no dependency): tags nest and close,
 * attributes are quoted and unique, `&` only starts a known entity, no text outside the root.
 * Returns the element tree so tests can count elements and read attributes.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function checkText(s: string, where: number): string {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') throw new Error(`xml: '<' in text at ${where + i}`);
    if (s[i] === '&') {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(s)) throw new Error(`xml: bad entity at ${where + i}`);
    }
  }
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const nameRe = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`xml: text outside the root at ${i}`);
    } else stack[stack.length - 1]!.text += checkText(text, i);
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i);
      if (e < 0) throw new Error('xml: unterminated <?');
      i = e + 2;
      continue;
    }
    if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i);
      if (e < 0) throw new Error('xml: unterminated comment');
      i = e + 3;
      continue;
    }
    if (src.startsWith('</', i)) {
      nameRe.lastIndex = i + 2;
      const m = nameRe.exec(src);
      if (!m) throw new Error(`xml: bad closing tag at ${i}`);
      const top = stack.pop();
      if (!top || top.name !== m[0]) throw new Error(`xml: </${m[0]}> closes <${top?.name ?? 'nothing'}> at ${i}`);
      i = nameRe.lastIndex;
      while (/\s/.test(src[i] ?? '')) i++;
      if (src[i] !== '>') throw new Error(`xml: expected '>' at ${i}`);
      i++;
      continue;
    }
    nameRe.lastIndex = i + 1;
    const m = nameRe.exec(src);
    if (!m) throw new Error(`xml: bad tag at ${i}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    i = nameRe.lastIndex;
    for (;;) {
      const ws = i;
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (src[i] === '>') {
        i++;
        stack.push(el);
        break;
      }
      if (i === ws) throw new Error(`xml: expected whitespace before attribute at ${i}`);
      nameRe.lastIndex = i;
      const a = nameRe.exec(src);
      if (!a) throw new Error(`xml: bad attribute at ${i}`);
      i = nameRe.lastIndex;
      if (src[i] !== '=') throw new Error(`xml: attribute ${a[0]} without '=' at ${i}`);
      const q = src[i + 1];
      if (q !== '"' && q !== "'") throw new Error(`xml: unquoted attribute ${a[0]} at ${i}`);
      const end = src.indexOf(q, i + 2);
      if (end < 0) throw new Error('xml: unterminated attribute');
      if (a[0] in el.attrs) throw new Error(`xml: duplicate attribute ${a[0]}`);
      el.attrs[a[0]] = checkText(src.slice(i + 2, end), i + 2);
      i = end + 1;
    }
    const parent = stack.length > (src[i - 2] === '/' ? 0 : 1) ? stack[stack.length - (src[i - 2] === '/' ? 1 : 2)] : undefined;
    if (parent) parent.children.push(el);
    else if (root) throw new Error('xml: more than one root element');
    else root = el;
  }
  if (stack.length) throw new Error(`xml: unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('xml: no root element');
  return root;
}

/** All elements below (and including) el, depth first. */
export function walk(el: XmlElement): XmlElement[] {
  const out = [el];
  for (const c of el.children) out.push(...walk(c));
  return out;
}

/** Assert an SVG is well-formed and has no NaN/Infinity in any attribute; returns its tree. */
export function checkSvg(svg: string): XmlElement {
  const root = parseXml(svg);
  if (root.name !== 'svg') throw new Error(`root is <${root.name}>, not <svg>`);
  for (const el of walk(root)) {
    for (const [k, v] of Object.entries(el.attrs)) {
      if (/NaN|Infinity|undefined/.test(v)) throw new Error(`<${el.name} ${k}="${v}">: non-finite value`);
    }
  }
  return root;
}
