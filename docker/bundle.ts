/**
 * Bundles the emulator entry into one ES module file with esbuild, so the image needs no
 * node_modules: only `node` and this file.
 */
import { build, type BuildFailure } from 'esbuild';

/**
 * CommonJS dependencies bundled into ESM still call `require` for Node built-ins; this banner
 * gives them one. The odd name avoids clashing with anything the bundle declares.
 */
const REQUIRE_BANNER =
  "import { createRequire as __evsmCreateRequire } from 'node:module'; const require = __evsmCreateRequire(import.meta.url);";

/** Returns the bundle's text (written nowhere: the caller hashes it, then places it). */
export async function bundleEmulator(entry: string): Promise<Buffer> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outfile: 'evsm-emulator.mjs',
    banner: { js: REQUIRE_BANNER },
    logLevel: 'silent',
    // The bundle must be identical for identical sources, or the cache key would never hit.
    legalComments: 'none',
  }).catch((err: BuildFailure) => {
    // esbuild's own message starts "Build failed with 1 error:"; the first error is the news.
    const first = err.errors?.[0];
    if (!first) throw err;
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new Error(`esbuild cannot bundle ${entry}: ${where}${first.text}`);
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return Buffer.from(file.contents);
}
