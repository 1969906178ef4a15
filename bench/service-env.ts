/**
 * What `npm start` and `npm run worker` add to the service's environment
 * (package.json), so the benchmarked processes run as deployed: glibc's mmap
 * threshold fixed at 1 MiB. Left dynamic, glibc raises it after the first
 * argon2id hash frees its 19 MiB block, and later blocks then stay in each
 * libuv thread's malloc arena for good (about 76 MiB of RSS for four threads).
 */
export const SERVICE_ENV = { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '1048576' };
