/**
 * The Secrets of the k3s overlay, which runs without cert-manager: prints (or writes with --out) a YAML stream of
 *   pigrid-coordinator-tls  kubernetes.io/tls  spiffe://pigrid/coordinator, DNS names of the coordinator Service
 *   pigrid-gateway-tls      kubernetes.io/tls  spiffe://pigrid/gateway
 *   pigrid-worker-tls       kubernetes.io/tls  spiffe://pigrid/worker, one certificate shared by every worker
 *   pigrid-api-tokens       Opaque             the SHA-256 of one new write token (the token is printed once, on stderr)
 * signed by a CA kept in --ca-dir (default ./data/k8s-ca, made on first use; a grpcurl client certificate is written
 * there too). Re-running renews the leaves from the same CA.
 *
 *   node dist/scripts/k8s-secrets.js [--namespace pigrid] [--ca-dir data/k8s-ca] [--out data/k8s-secrets.yaml] [--days 365]
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashToken } from '../shared/api-tokens.js';
import { LocalCa, type IssuedPem } from '../shared/local-certs.js';

const { values } = parseArgs({
  options: {
    namespace: { type: 'string', default: 'pigrid' },
    'ca-dir': { type: 'string', default: 'data/k8s-ca' },
    out: { type: 'string' },
    days: { type: 'string', default: '365' },
  },
});
const ns = values.namespace;
const days = Number(values.days);
const ca = await LocalCa.inDirectory(values['ca-dir'], `pigrid CA (${ns})`);
const b64 = (s: string) => Buffer.from(s).toString('base64');

function tlsSecret(name: string, issued: IssuedPem): string {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'type: kubernetes.io/tls',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${ns}`,
    '  labels:',
    '    app.kubernetes.io/part-of: pigrid',
    'data:',
    `  ca.crt: ${b64(ca.certPem)}`,
    `  tls.crt: ${b64(issued.cert)}`,
    `  tls.key: ${b64(issued.key)}`,
  ].join('\n');
}

const service = 'pigrid-coordinator';
const coordinatorNames = [service, `${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`];
const token = randomBytes(24).toString('base64url');
const docs = [
  tlsSecret('pigrid-coordinator-tls', await ca.issue('coordinator', undefined, { dnsNames: coordinatorNames, ips: [], days })),
  tlsSecret('pigrid-gateway-tls', await ca.issue('gateway', undefined, { dnsNames: [], ips: [], days })),
  tlsSecret('pigrid-worker-tls', await ca.issue('worker', undefined, { dnsNames: [], ips: [], days })),
  [
    'apiVersion: v1',
    'kind: Secret',
    'type: Opaque',
    'metadata:',
    '  name: pigrid-api-tokens',
    `  namespace: ${ns}`,
    'stringData:',
    '  tokens: |',
    `    admin ${hashToken(token)} write`,
  ].join('\n'),
];
await ca.identityFiles(values['ca-dir'], 'client', 'client', 'admin', { dnsNames: [], ips: [], days });
const yaml = docs.join('\n---\n') + '\n';
if (values.out) writeFileSync(values.out, yaml, { mode: 0o600 });
else process.stdout.write(yaml);
process.stderr.write(
  `API token "admin" (write), shown once: ${token}\n` +
    `grpcurl client certificate: ${values['ca-dir']}/client.pem, key ${values['ca-dir']}/client-key.pem, CA ${values['ca-dir']}/ca.pem\n`,
);
