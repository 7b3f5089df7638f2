import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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
/**
 * The tables are read again at most this often, and never more often than {@link READ_SHARE}
 * allows: they list every TCP socket of the host, and with tens of thousands of them one read
 * costs the kernel half a second (100,000 sockets here), taken from every process on the machine.
 */
const MIN_REFRESH_MS = 250;
/**
 * At most this share of the time goes to reading the tables: a read that took 0.5 s is followed
 * by 25 s without one, and a vanished peer on such a host is dropped within about that much more
 * (the kernel's own verdict takes 15 minutes). A capacity run with four servers holding 12,500
 * streams each (100,000 sockets on the machine) doubled its publish-to-delivery latency with a
 * tenth; a fiftieth costs each server about 2% of a core.
 */
const READ_SHARE = 1 / 50;
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
/**
 * A table row whose timer (`tr`) is 1 (retransmission) or 4 (zero-window probe), capturing its
 * retransmissions and inode. Rows: `sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid
 * timeout inode …`; only `tr` has two hex digits before a colon.
 */
const RETRANSMITTING_ROW = / 0[14]:[0-9A-F]{8} ([0-9A-F]{8}) +\d+ +\d+ (\d+)/g;

type HandleSocket = Socket & { _handle?: { fd?: number } | null };

const inodes = new WeakMap<Socket, string | null>();
let supported = process.platform === 'linux';
let silentInodes = new Set<string>();
/** When the last read of the tables ended, and how long it took. */
let readAt = Number.NEGATIVE_INFINITY;
let readTook = 0;
let reading = false;

/**
 * True when the kernel has retransmitted to `socket`'s peer without an answer for a while.
 *
 * Answers from the last read of the kernel's tables and starts a new read in the background when
 * that one is old: a read never blocks the event loop (a synchronous read of a large host's
 * tables once stalled a server for minutes), and the heartbeat asks again on its next round.
 */
export function peerStoppedAnswering(socket: Socket): boolean {
  if (!supported || socket.destroyed) return false;
  if (!reading && performance.now() - readAt >= Math.max(MIN_REFRESH_MS, readTook / READ_SHARE)) refresh();
  const inode = inodeOf(socket);
  return inode !== null && silentInodes.has(inode);
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

function refresh(): void {
  reading = true;
  const started = performance.now();
  void Promise.all(TABLES.map((table) => readFile(table, 'latin1').catch(() => undefined))).then((texts) => {
    const silent = new Set<string>();
    let readable = false;
    for (const text of texts) {
      if (text === undefined) continue;
      readable = true;
      collectSilent(text, silent);
    }
    // No table to read (a sandbox without /proc): stop trying.
    if (!readable) supported = false;
    silentInodes = silent;
    readAt = performance.now();
    readTook = readAt - started;
    reading = false;
  });
}

function collectSilent(text: string, into: Set<string>): void {
  for (const row of text.matchAll(RETRANSMITTING_ROW)) {
    if (Number.parseInt(row[1] as string, 16) >= GONE_AFTER_RETRANSMITS) into.add(row[2] as string);
  }
}
