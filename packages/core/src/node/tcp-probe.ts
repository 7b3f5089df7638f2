import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * Tells whether the peer of a TCP socket has stopped acknowledging data, from the kernel's own
 * retransmission state (Linux `/proc/net/tcp` and `tcp6`). A peer that vanished from the network
 * (cable pulled, phone out of coverage, a dead NAT) sends no FIN or RST, so Node only learns of it
 * when the kernel gives up retransmitting: about 15 minutes on Linux defaults. Node cannot set
 * `TCP_USER_TIMEOUT`; this reads what the kernel already knows instead.
 *
 * A frozen client whose host is alive still acknowledges (with a zero window), so it never counts:
 * the slow-client cap handles those.
 */

/**
 * Unanswered retransmissions of the same data after which a peer counts as gone. With Linux's
 * 200 ms minimum retransmission timeout, doubling each time, that is at least 1.4 s of silence.
 */
const GONE_AFTER_RETRANSMITS = 3;
/** One read of the tables serves every socket checked within this long (one heartbeat round). */
const TABLE_TTL_MS = 100;
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
/** Timer kinds in the `tr` column: 1 retransmission, 4 zero-window probe. */
const RETRANSMITTING = new Set(['01', '04']);

type HandleSocket = Socket & { _handle?: { fd?: number } | null };

const inodes = new WeakMap<Socket, string | null>();
let supported = process.platform === 'linux';
let silentInodes = new Set<string>();
let readAt = Number.NEGATIVE_INFINITY;

/** True when the kernel has retransmitted to `socket`'s peer without an answer for a while. */
export function peerStoppedAnswering(socket: Socket): boolean {
  if (!supported || socket.destroyed) return false;
  const inode = inodeOf(socket);
  return inode !== null && silentSockets().has(inode);
}

function inodeOf(socket: HandleSocket): string | null {
  let inode = inodes.get(socket);
  if (inode === undefined) {
    inode = readInode(socket._handle?.fd);
    inodes.set(socket, inode);
  }
  return inode;
}

function readInode(fd: number | undefined): string | null {
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1] ?? null;
  } catch {
    return null;
  }
}

function silentSockets(): Set<string> {
  const now = performance.now();
  if (now - readAt < TABLE_TTL_MS) return silentInodes;
  readAt = now;
  const silent = new Set<string>();
  let readable = false;
  for (const table of TABLES) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    readable = true;
    collectSilent(text, silent);
  }
  // No table to read (a sandbox without /proc): stop trying.
  if (!readable) supported = false;
  silentInodes = silent;
  return silent;
}

/** Lines: `sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`. */
function collectSilent(text: string, into: Set<string>): void {
  let start = text.indexOf('\n') + 1; // skip the header
  while (start > 0 && start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end);
    start = end + 1;
    const fields = line.trim().split(/\s+/);
    const timer = fields[5];
    if (timer === undefined || !RETRANSMITTING.has(timer.slice(0, 2))) continue;
    if (Number.parseInt(fields[6] ?? '0', 16) < GONE_AFTER_RETRANSMITS) continue;
    const inode = fields[9];
    if (inode !== undefined) into.add(inode);
    if (end === -1) break;
  }
}
