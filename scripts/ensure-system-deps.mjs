#!/usr/bin/env node
// Installs the system programs the test suites use (Debian packages), so the README's one test
// command works on a fresh machine. Each workspace package names what it needs in package.json:
//   "ssekit": { "systemDeps": { "<binary>": "<debian package>" } }
// Nothing is installed when every binary is already on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const needed = new Map();
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const deps = JSON.parse(readFileSync(manifest, 'utf8')).ssekit?.systemDeps ?? {};
    for (const [binary, pkg] of Object.entries(deps)) needed.set(binary, pkg);
  }
}

const onPath = (binary) => {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const missing = [...needed].filter(([binary]) => !onPath(binary));
if (missing.length === 0) process.exit(0);
const packages = [...new Set(missing.map(([, pkg]) => pkg))];
const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? [] : onPath('sudo') ? ['sudo'] : null;
if (!sudo || !onPath('apt-get')) {
  console.error(`Missing programs: ${missing.map(([b]) => b).join(', ')}. Install the packages ${packages.join(', ')} and run again.`);
  process.exit(1);
}
console.log(`Installing ${packages.join(', ')} with apt-get (needed by the test suites)...`);
const run = (args) => {
  const [command, ...rest] = [...sudo, ...args];
  execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
run(['apt-get', 'update', '-qq']);
run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
