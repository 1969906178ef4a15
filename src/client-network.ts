import { isIPv6 } from 'node:net';

/**
 * The unit one client controls, which every per-client limit counts by (code
 * mails, password checks, sign-ups, the hashing queue's turns): an IPv4
 * address, or the /64 of an IPv6 one (RFC 4291 §2.5.4: one link's prefix; a
 * single host gets a whole /64, RFC 6177), which would otherwise give a
 * client a fresh budget with every address in it.
 */
export function clientNetwork(ip: string): string {
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mappedV4) return mappedV4;
  if (!isIPv6(ip)) return ip;
  // A trailing dotted quad (RFC 4291 §2.2, form 3) is two groups; a zone id (fe80::1%eth0) names no network.
  const hex = ip
    .replace(/%.*$/, '')
    .replace(
      /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
      (_, a: string, b: string, c: string, d: string) =>
        `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
    );
  const [head, tail = ''] = hex.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = hex.includes('::') && tail !== '' ? tail.split(':') : [];
  const groups = hex.includes('::')
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
