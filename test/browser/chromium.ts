// Launching the system Chromium (Debian's `chromium`; browsers cannot be downloaded here) with
// playwright-core, headless, with a fresh profile. Tests skip — and say so — when none is found.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export function findChromium(): string | null {
  const env = process.env['SPINDIFF_CHROMIUM'];
  for (const p of [env, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p;
  return null;
}

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // WebGL (gpu.js) through SwiftShader, the software renderer, with the GPU disabled.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export async function launch(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // headless: true adds --headless; playwright starts every launch with a fresh temporary profile.
  return chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
}
