import * as http from 'http';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: any;
}

/**
 * One request on a real socket with exactly these bytes (a client library
 * would re-encode a Buffer body or its headers). A reset rejects with the
 * socket's error (its `code`, such as ECONNRESET or ECONNREFUSED); an answer
 * that does not come within `timeoutMs` rejects too: a hang is a failure.
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string, timeoutMs = 60_000): Promise<RawAnswer> {
  // Node's client frames a GET's or DELETE's body neither by length nor in chunks: the bytes
  // would follow the request as a second, malformed one, which the server answers 400 on the
  // same socket after it has served the first. Say the length, as any real client does.
  if (body !== undefined && !/^(POST|PUT|PATCH)$/.test(method) && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    headers = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  }
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* HTML, CSV or text */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
      });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`${method} ${path} not answered within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}
