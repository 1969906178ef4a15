import { isIPv6 } from 'node:net';

/**
 * What per-address limits count a client by: its IPv4 address, or the /64
 * its IPv6 address lies in, since one subscriber is given at least a /64
 * (RFC 6177) and could otherwise take a fresh budget with every address in it.
 */
export function clientAddressKey(ip: string): string {
  const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mappedIpv4) return mappedIpv4[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail] = ip.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
