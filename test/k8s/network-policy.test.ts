import { describe, expect, it } from 'vitest';
import type { Endpoint } from './policy/network.js';
import { cidrContains, isAllowed } from './policy/network.js';
import type { K8sObject } from './policy/types.js';

// The evaluator behind the network checks, against NetworkPolicy semantics.

const pod = (namespace: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []): Endpoint => ({
  label: `${namespace}/${JSON.stringify(labels)}`,
  pod: true,
  namespace,
  namespaceLabels: { 'kubernetes.io/metadata.name': namespace, ...(namespace === 'mon' ? { team: 'obs' } : {}) },
  labels,
  containerPorts: ports,
});
const ip = (addr: string): Endpoint => ({ label: addr, pod: false, namespaceLabels: {}, labels: {}, containerPorts: [], ip: addr });

const np = (name: string, spec: Record<string, unknown>): K8sObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'app' },
  spec,
});

const a = pod('app', { role: 'a' });
const b = pod('app', { role: 'b' }, [{ name: 'grpc', containerPort: 50061 }]);
const other = pod('mon', { role: 'a' });
const denyAll = np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('NetworkPolicy evaluator', () => {
  it('allows everything while no policy selects the pods', () => {
    expect(isAllowed([], a, b, 1)).toBe(true);
  });

  it('needs both the egress of the source and the ingress of the destination', () => {
    const ingress = np('in', {
      podSelector: { matchLabels: { role: 'b' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'a' } } }] }],
    });
    const egress = np('out', {
      podSelector: { matchLabels: { role: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { role: 'b' } } }] }],
    });
    expect(isAllowed([denyAll, ingress], a, b, 50061)).toBe(false);
    expect(isAllowed([denyAll, ingress, egress], a, b, 50061)).toBe(true);
  });

  it('reads a podSelector alone as "this namespace", and namespace+pod selectors in one peer as AND', () => {
    const samePeer = np('p', {
      podSelector: { matchLabels: { role: 'b' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'obs' } }, podSelector: { matchLabels: { role: 'x' } } }] }],
    });
    const podOnly = np('q', {
      podSelector: { matchLabels: { role: 'b' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'a' } } }] }],
    });
    expect(isAllowed([samePeer], other, b, 1)).toBe(false);
    expect(isAllowed([samePeer], pod('mon', { role: 'x' }), b, 1)).toBe(true);
    expect(isAllowed([podOnly], other, b, 1)).toBe(false);
    expect(isAllowed([podOnly], a, b, 1)).toBe(true);
  });

  it('matches numbered, ranged and named ports, and protocols', () => {
    const rule = (ports: unknown[]): K8sObject[] => [np('r', { podSelector: {}, ingress: [{ ports }] })];
    expect(isAllowed(rule([{ port: 50061 }]), a, b, 50061)).toBe(true);
    expect(isAllowed(rule([{ port: 50061 }]), a, b, 50061, 'UDP')).toBe(false);
    expect(isAllowed(rule([{ port: 50000, endPort: 50100 }]), a, b, 50061)).toBe(true);
    expect(isAllowed(rule([{ port: 'grpc' }]), a, b, 50061)).toBe(true);
    expect(isAllowed(rule([{ port: 'grpc' }]), a, b, 50062)).toBe(false);
  });

  it('applies ipBlock with except to addresses, not to pods', () => {
    const egress = np('e', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
    });
    expect(isAllowed([egress], a, ip('10.2.3.4'), 443)).toBe(true);
    expect(isAllowed([egress], a, ip('10.1.3.4'), 443)).toBe(false);
    expect(isAllowed([egress], a, b, 443)).toBe(false);
    expect(cidrContains('0.0.0.0/0', '203.0.113.9')).toBe(true);
  });
});
