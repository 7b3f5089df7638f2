/**
 * Reads the TypeScript blocks out of the workspace's READMEs, by the convention every README
 * follows (stated in the root README's "Docs as tests"):
 *
 * - ```ts            a complete module: compiled on its own, strict.
 * - ```ts fragment   an excerpt that needs context the README does not show: not compiled, but
 *                    counted and listed, never skipped silently.
 * - ```ts run        compiled, then run: it must serve `GET /events` as an event stream on port
 *                    3000 (the runner substitutes a free port) and exit 0 on `SIGTERM`.
 * - ```ts continues  the next part of the README's previous compiled block (a shutdown snippet
 *                    after its example; fragments in between are skipped): compiled, and run,
 *                    as one module with it.
 * - ```tsx           the same, as a `.tsx` module (React components), with any marker above.
 * - `<!-- prelude: … -->` on the line right before a fence: declarations compiled in front of the
 *   block and not shown to readers (`declare function getToken(): string;`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type BlockKind = 'module' | 'fragment' | 'run';

/** One compiled unit: a block, with any `continues` blocks after it. */
export interface ReadmeBlock {
  /** `packages/fastify/README.md:12`: where the first block starts. */
  readonly where: string;
  /** A file name for the extracted module. */
  readonly name: string;
  /** The extracted module's extension: `tsx` when the block (or the one it continues) is TSX. */
  readonly extension: 'ts' | 'tsx';
  kind: BlockKind;
  /** Prelude and code, as one module. */
  code: string;
}

/** The READMEs the tests read: the root one, then every package's and every app's. */
export function readmes(root: string): string[] {
  const found = [join(root, 'README.md')];
  for (const dir of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, dir)).sort()) {
      const file = join(root, dir, entry, 'README.md');
      try {
        readFileSync(file);
        found.push(file);
      } catch {
        // a package without a README
      }
    }
  }
  return found;
}

const FENCE = /^```(tsx|ts|typescript)\b(.*)$/;
const PRELUDE = /^<!--\s*prelude:([\s\S]*?)-->\s*$/;

/** The TypeScript blocks of one README, `continues` blocks folded into the block before them. */
export function blocksOf(file: string, root: string): ReadmeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const where = relative(root, file);
  const blocks: ReadmeBlock[] = [];
  let last: ReadmeBlock | undefined;
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i] ?? '');
    if (!fence) continue;
    const words = (fence[2] ?? '').trim().split(/\s+/).filter(Boolean);
    const unknown = words.filter((word) => !['fragment', 'run', 'continues'].includes(word));
    if (unknown.length > 0) throw new Error(`${where}:${i + 1}: unknown block marker ${unknown.join(' ')}`);
    const prelude = PRELUDE.exec(lines[i - 1] ?? '')?.[1]?.trim() ?? '';
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    const code = `${prelude ? `${prelude}\n` : ''}${body.join('\n')}\n`;
    if (words.includes('continues')) {
      if (!last) throw new Error(`${where}:${start}: a \`continues\` block needs a compiled block before it`);
      last.code += `\n${code}`;
      continue;
    }
    const kind: BlockKind = words.includes('fragment') ? 'fragment' : words.includes('run') ? 'run' : 'module';
    const name = `${where.replace(/README\.md$/, '').replace(/[^a-z0-9]+/gi, '-')}readme-${start}`.replace(/^-+/, '');
    const extension = fence[1] === 'tsx' ? 'tsx' : 'ts';
    const block: ReadmeBlock = { where: `${where}:${start}`, name, extension, kind, code };
    blocks.push(block);
    if (kind !== 'fragment') last = block; // fragments in between do not break a continuation
  }
  return blocks;
}
