/** Newlines in a chunk, counted with Buffer.indexOf (native) rather than byte by byte in JS. */
export function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}
