/**
 * The reference notebook's smoking-data protocol (nihcompmed/e-machine,
 * sphinx/codesource/imputation.ipynb), reproduced draw for draw with NumPy's legacy MT19937:
 *  - train_test_split(s0, test_size=0.7, random_state=1): perm = RandomState(1).permutation(1536),
 *    test = perm[:1076], train = perm[1076:];
 *  - EM.fit calls np.random.seed(13) and draws rand(741) for its start, so the global stream the
 *    hidden choices come from is seed 13 advanced by 741 doubles (1482 words);
 *  - per test row: hidden = np.random.choice(cols_active, n_hidden, replace=False)
 *    = cols_active[permutation(34)[:n_hidden]], cols_active = columns ≤ 90% conserved on test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSpinText, selectRows, type SpinData } from '../../src/ising/index.js';
import { NumpyRandomState } from './numpy-mt.js';

export const smokingPath = fileURLToPath(new URL('../../data/smoking/smoking.txt', import.meta.url));

export function smokingProtocol(nHidden: number, path = smokingPath) {
  const all = parseSpinText(readFileSync(path, 'utf8'), 'smoking.txt');
  const perm = new NumpyRandomState(1).permutation(all.m);
  const nTest = Math.ceil(0.7 * all.m);
  const test: SpinData = selectRows(all, perm.slice(0, nTest));
  const train: SpinData = selectRows(all, perm.slice(nTest));
  const n = all.n;
  const initRng = new NumpyRandomState(13);
  const nops = n + (n * (n - 1)) / 2;
  const init = new Float64Array(nops);
  for (let k = 0; k < nops; k++) init[k] = initRng.rand() - 0.5;
  // Conserved columns: the most frequent value covers more than 90% of test rows.
  const active: number[] = [];
  for (let i = 0; i < n; i++) {
    let plus = 0;
    for (let r = 0; r < test.m; r++) if (test.s[r * n + i]! > 0) plus++;
    if (Math.max(plus, test.m - plus) / test.m <= 0.9) active.push(i);
  }
  const hidden: number[][] = [];
  for (let r = 0; r < test.m; r++) hidden.push(initRng.permutation(active.length).slice(0, nHidden).map((k) => active[k]!));
  return { all, train, test, init, active, hidden };
}
