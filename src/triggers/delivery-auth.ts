/**
 * Who may say "new data": every delivery must be signed. Standard Webhooks when its headers are
 * present, else GitHub's X-Hub-Signature-256. The delivery id (webhook-id, X-GitHub-Delivery)
 * feeds the replay guard; GitHub-style deliveries carry no timestamp, so for them only the id
 * (when sent) protects against replays.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { verifyGithubStyle, verifyStandardWebhook } from './standard-webhooks.js';

export interface DeliverySecrets {
  standardWebhooks?: string;
  github?: string;
}

export type DeliveryAuthentication =
  | { ok: true; scheme: 'standard-webhooks' | 'github'; deliveryId?: string }
  | { ok: false; message: string };

export function authenticateDelivery(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secrets: DeliverySecrets,
  options: { nowSeconds: number; toleranceSeconds: number },
): DeliveryAuthentication {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const standard = { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') };
  if (standard.id !== undefined || standard.timestamp !== undefined || standard.signature !== undefined) {
    if (!secrets.standardWebhooks) return { ok: false, message: 'this server does not accept Standard Webhooks signatures (signatures.standardWebhooks is not configured)' };
    const check = verifyStandardWebhook(secrets.standardWebhooks, standard, body, options);
    return check.ok ? { ok: true, scheme: 'standard-webhooks', deliveryId: standard.id } : { ok: false, message: check.message };
  }
  const hub = header('x-hub-signature-256');
  if (hub !== undefined) {
    if (!secrets.github) return { ok: false, message: 'this server does not accept X-Hub-Signature-256 (signatures.github is not configured)' };
    const check = verifyGithubStyle(secrets.github, hub, body);
    const delivery = header('x-github-delivery');
    return check.ok ? { ok: true, scheme: 'github', deliveryId: delivery ? `github:${delivery.slice(0, 256)}` : undefined } : { ok: false, message: check.message };
  }
  const accepted = [secrets.standardWebhooks && 'webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)', secrets.github && 'X-Hub-Signature-256'].filter(Boolean);
  return { ok: false, message: `missing signature: send ${accepted.join(', or ')}` };
}
