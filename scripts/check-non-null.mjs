// Lists the non-null assertions on element reads (`x[i]!`) in src/ by the type of x. With
// noUncheckedIndexedAccess on, the rule (src/util/checked.ts) is: plain arrays, tuples and records
// are read with checked access; only typed arrays inside numeric kernels may be indexed with `!`.
// Usage: node scripts/check-non-null.mjs [--all]   (exit 1 if a plain-array site remains)
import ts from 'typescript';
import { relative, resolve } from 'node:path';

const TYPED = /^(Float32Array|Float64Array|Int8Array|Int16Array|Int32Array|Uint8Array|Uint16Array|Uint32Array|Uint8ClampedArray|BigInt64Array|BigUint64Array)(<[^>]*>)?$/;

/** Every `x[i]!` in the project's src/, with whether x is a typed array (or a union of them). */
export function nonNullSites(root = process.cwd()) {
  const cfgPath = resolve(root, 'tsconfig.json');
  const cfg = ts.getParsedCommandLineOfConfigFile(cfgPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!cfg) throw new Error(`cannot read ${cfgPath}`);
  const program = ts.createProgram(cfg.fileNames, cfg.options);
  const checker = program.getTypeChecker();
  const srcDir = resolve(root, 'src') + '/';
  const isTyped = (t) => {
    const parts = t.isUnion() ? t.types : [t];
    return parts.every((p) => TYPED.test(checker.typeToString(p)));
  };
  const sites = [];
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(srcDir) || sf.fileName.endsWith('-worker-source.ts')) continue;
    const visit = (node) => {
      if (ts.isNonNullExpression(node) && ts.isElementAccessExpression(node.expression)) {
        const t = checker.getNonNullableType(checker.getTypeAtLocation(node.expression.expression));
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        sites.push({ file: relative(root, sf.fileName), line: line + 1, typed: isTyped(t), type: checker.typeToString(t), text: node.getText(sf) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return sites;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sites = nonNullSites();
  const plain = sites.filter((s) => !s.typed);
  const show = process.argv.includes('--all') ? sites : plain;
  for (const s of show) console.log(`${s.file}:${s.line}  ${s.text}  (${s.type.slice(0, 60)})`);
  console.log(`${sites.length} element assertions: ${sites.length - plain.length} on typed arrays, ${plain.length} on plain arrays/tuples/records`);
  process.exit(plain.length > 0 ? 1 : 0);
}
