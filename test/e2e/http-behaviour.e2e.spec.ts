import { asAdmin, bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty } from '../helpers/fixtures';

const PROBLEM = /application\/problem\+json/;

describe('HTTP behaviour: bad input never yields a 500 (e2e)', () => {
  let t: TestApp;
  let c: County;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  const expectProblem400 = (res: any) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400, detail: expect.any(String) });
    expect(Array.isArray(res.body.errors)).toBe(true);
    expect(res.body.errors.length).toBeGreaterThan(0);
  };

  it('malformed JSON → 400 with errors', async () => {
    const res = await t.http().post('/v1/tenants').set(asAdmin).set('Content-Type', 'application/json').send('{"regionCode": "500154",');
    expectProblem400(res);
    expect(res.body.code).toBe('malformed-json');
  });

  it('unknown fields → 400 naming the field', async () => {
    const res = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: '500154', name: 'x', isAdmin: true });
    expectProblem400(res);
    expect(res.body.errors).toEqual([{ field: 'isAdmin', messages: ['isAdmin is not a known field'] }]);
  });

  it('wrong types → 400 listing every field at once', async () => {
    const res = await t.http().post('/v1/regions').set(asAdmin).send({ code: 123456789, name: ['x'], parentCode: null });
    expectProblem400(res);
    expect(res.body.errors.map((e: any) => e.field).sort()).toEqual(['code', 'name', 'parentCode']);
  });

  it('over-long strings → 400', async () => {
    const res = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: '500154', name: '长'.repeat(101) });
    expectProblem400(res);
    expect(res.body.errors[0].field).toBe('name');
  });

  it('a JSON array or scalar body → 400', async () => {
    expectProblem400(await t.http().post('/v1/tenants').set(asAdmin).set('Content-Type', 'application/json').send('[1,2]'));
    expectProblem400(await t.http().post('/v1/tenants').set(asAdmin).set('Content-Type', 'application/json').send('"x"'));
  });

  it('an empty body → 400 listing the required fields', async () => {
    const res = await t.http().post('/v1/tenants').set(asAdmin);
    expectProblem400(res);
    expect(res.body.errors.map((e: any) => e.field).sort()).toEqual(['name', 'regionCode']);
  });

  it('a body over the 1 MB limit → 413', async () => {
    const res = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: '500154', name: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('a malformed id in the path → 404, not 500', async () => {
    const res = await t.http().delete('/v1/api-keys/not-a-uuid').set(bearer(c.keys.admin));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('bad query parameters → 400', async () => {
    expectProblem400(await t.http().get('/v1/tenants?limit=0').set(asAdmin));
    expectProblem400(await t.http().get('/v1/tenants?limit=501').set(asAdmin));
    expectProblem400(await t.http().get('/v1/tenants?limit=abc').set(asAdmin));
    expectProblem400(await t.http().get('/v1/regions?under=abc').set(asAdmin));
    expectProblem400(await t.http().get('/v1/api-keys?tenantId=nope').set(asAdmin));
  });

  it('an unknown route → 404 problem+json', async () => {
    const res = await t.http().get('/v1/nowhere').set(asAdmin);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.http().get('/health').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http().get('/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await t.http().get('/v1/tenants').set('X-Request-Id', 'req-401');
    expect(problem.body.requestId).toBe('req-401');
  });
});

describe('operations (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('GET /health checks the database', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', db: 'ok' });
  });

  it('GET /metrics serves request counts by route and pool gauges', async () => {
    await t.http().get('/v1/tenants').set(asAdmin);
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/jifen_http_requests_total\{method="GET",route="\/v1\/tenants",status="200"\} [1-9]/);
    expect(res.text).toMatch(/jifen_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/tenants"\}/);
    expect(res.text).toMatch(/jifen_db_pool_connections [1-9]/);
    expect(res.text).toMatch(/jifen_db_lane_connections\{lane="request"\} [1-9]/);
    expect(res.text).toMatch(/jifen_db_lane_waiting\{lane="job"\} 0/);
    expect(res.text).toMatch(/jifen_db_nested_acquire_total \d+/);
    expect(res.text).toContain('# TYPE jifen_http_server_errors_total counter');
  });

  it('serves the OpenAPI document, covering the contract paths', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    for (const p of ['/v1/tenants', '/v1/regions', '/v1/api-keys', '/health', '/metrics']) expect(res.body.paths).toHaveProperty([p]);
    const html = await t.http().get('/docs/');
    expect(html.status).toBe(200);
    expect(html.text).toContain('swagger');
  });
});
