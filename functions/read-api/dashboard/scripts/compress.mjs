// Writes a .br and a .gz twin next to every compressible file of the build, so read-api sends
// them by Accept-Encoding without compressing at request time. A twin that is not smaller is
// not written.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const root = process.argv[2] ?? "dist";
const compressible = /\.(html|js|mjs|css|svg|json|txt)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let plain = 0;
let gz = 0;
let br = 0;
for (const path of [...files(root)]) {
  if (!compressible.test(path)) continue;
  const data = readFileSync(path);
  const b = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  const g = gzipSync(data, { level: 9 });
  plain += data.length;
  if (b.length < data.length) {
    writeFileSync(`${path}.br`, b);
    br += b.length;
  }
  if (g.length < data.length) {
    writeFileSync(`${path}.gz`, g);
    gz += g.length;
  }
}
console.log(`compressed ${root}: ${plain} B plain, ${gz} B gzip, ${br} B brotli`);
