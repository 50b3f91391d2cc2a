/**
 * The V8 flags berthd runs with. A daemon idles most of its life: a young generation of
 * 4 MiB semi-spaces (V8's default grows them to 16 MiB after any burst of allocation, a
 * 100 MB attached run for instance, and keeps them) holds its idle RSS down by 10-25 MiB;
 * the daemon's CPU for a 100 MB attached run was measured unchanged (2 MiB cost 25% more:
 * bench/RESULTS.md). They must be given on node's command line (V8 sizes its heap when the
 * isolate is created): the `berthd` bin's shebang and `npm start` carry the same flags,
 * node-flags.test.ts checks, and the bench and the integration tests spawn berthd with them.
 */
export const BERTHD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
