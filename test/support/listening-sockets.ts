import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP LISTEN in /proc/net/tcp's `st` column (include/net/tcp_states.h). */
const TCP_LISTEN = '0A';

/** Inodes of the sockets process `pid` holds open, from its /proc/<pid>/fd links ("socket:[inode]"). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since the listing
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}

/** The TCP ports (IPv4 and IPv6) process `pid` listens on, as `ss -ltnp` would list them (Linux). */
export function listeningTcpPorts(pid: number): number[] {
  const mine = socketInodes(pid);
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== TCP_LISTEN || !mine.has(fields[9])) continue;
      ports.add(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** The paths of the Unix domain sockets process `pid` holds (listening and connected ones that have a path) (Linux). */
export function unixSocketPaths(pid: number): string[] {
  const mine = socketInodes(pid);
  const paths = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && mine.has(fields[6])) paths.add(fields.slice(7).join(' '));
  }
  return [...paths];
}
