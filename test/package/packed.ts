// Helpers for the package tests: pack the tarball, install it into a temporary project (offline:
// the package has no runtime dependencies), and read the README's code blocks.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Run a command (asynchronously: a blocked test worker loses its link to vitest). */
export function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    p.on('error', (e) => { err += String(e); });
    p.on('close', (code) => done({ code: code ?? 1, out, err }));
  });
}

/** npm pack + npm install --offline into a fresh project; returns the project folder. */
/** Build the package unless dist/ is there (npm test builds it first). */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/types/index.d.ts')) || !existsSync(join(ROOT, 'dist/node/cli.js')) || !existsSync(join(ROOT, 'dist/lib/index.js')) || !existsSync(join(ROOT, 'dist/playground/index.html'))) {
    const b = await sh(process.execPath, ['scripts/build.mjs'], ROOT);
    if (b.code !== 0) throw new Error(`build failed:\n${b.err}`);
  }
}

export async function installPacked(): Promise<string> {
  await ensureBuilt();
  const tmp = mkdtempSync(join(tmpdir(), 'spindiff-pack-'));
  const p = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], ROOT);
  if (p.code !== 0) throw new Error(`npm pack failed:\n${p.err}`);
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack made no tarball');
  const proj = join(tmp, 'project');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  const i = await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, tgz)], proj);
  if (i.code !== 0) throw new Error(`npm install of the tarball failed:\n${i.err}`);
  writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false,
      types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    include: ['*.ts'],
  }));
  // The README's commands use data/… as in a checkout; an installed package has it here.
  symlinkSync(join(proj, 'node_modules/spindiff/data'), join(proj, 'data'));
  return proj;
}

export interface Block { lang: string; line: number; code: string; notRun: boolean }

/** The fenced code blocks of a markdown text, with the 1-based line of the opening fence. */
export function codeBlocks(md: string): Block[] {
  const lines = md.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: m[1]!, line: start + 1, code: body.join('\n'), notRun: start > 0 && lines[start - 1]!.trim() === '<!-- not-run -->' });
  }
  return out;
}

export const readme = (): string => readFileSync(join(ROOT, 'README.md'), 'utf8');

/**
 * The commands of a sh block with the output the README shows for each: a line `# text` right
 * after a command (or after another such line) is expected output; lines ending in `\` continue.
 */
export function commands(code: string): { cmd: string; expect: string[] }[] {
  const out: { cmd: string; expect: string[] }[] = [];
  let cont = '';
  for (const raw of code.split('\n')) {
    const line = raw.trimEnd();
    if (cont) { cont += '\n' + line; if (!line.endsWith('\\')) { out.push({ cmd: cont, expect: [] }); cont = ''; } continue; }
    if (line.trim() === '') continue;
    if (line.startsWith('#')) { out[out.length - 1]?.expect.push(line.replace(/^#\s?/, '')); continue; }
    if (line.endsWith('\\')) { cont = line; continue; }
    out.push({ cmd: line, expect: [] });
  }
  return out;
}
