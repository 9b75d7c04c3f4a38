// One behavioural suite that every ProviderAdapter passes against its contract-faithful simulator.
// It speaks only canonical terms (the port, the canonical events and the simulator's control API), so a
// provider-specific expectation does not belong here but in that adapter's own tests.
//
// Requirements on `setup`:
// - start the simulator with `qrRotateMs` of at most 300 (the QR rotation case waits for a new code);
// - `withTimeout(ms)` returns an adapter for the same simulator with that request timeout (timeout mapping).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CanonicalEvent,
  canonicalPhone,
  type InstanceCredentials,
  type MessageEvent,
  type ParsedWebhook,
  type ProviderAdapter,
  type ProviderErrorKind,
  type ProviderSettings,
  type SendCommand,
  type SendType,
  type StatusEvent,
  toJid,
} from '@whatpro/domain';
import type { ProviderSimulator, SentMessage } from '@whatpro/simulators';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';

export interface ContractHarness {
  adapter: ProviderAdapter;
  sim: ProviderSimulator;
  /** The same adapter against the same simulator, with this request timeout. */
  withTimeout(timeoutMs: number): ProviderAdapter;
  /** Maps the suite's local receiver URL to the URL the simulator must POST to (default: unchanged). */
  webhookUrl?: (receiverUrl: string) => string;
  close(): Promise<void>;
}

/** A tiny HTTP server standing in for the Hub's webhook endpoint. */
class Receiver {
  readonly bodies: unknown[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        this.bodies.push(JSON.parse(text));
      } catch {
        this.bodies.push(text);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  url = '';

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

const last = <T>(list: T[]): T => {
  expect(list.length).toBeGreaterThan(0);
  return list[list.length - 1] as T;
};

const CONTACT = '+5511987654321';
const OWNER = '+5511900001111';

export function describeAdapterContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`${name}: ProviderAdapter contract`, () => {
    let h: ContractHarness;
    let adapter: ProviderAdapter;
    let sim: ProviderSimulator;
    const receiver = new Receiver();
    let counter = 0;

    beforeAll(async () => {
      await receiver.start();
      h = await setup();
      adapter = h.adapter;
      sim = h.sim;
    });
    afterAll(async () => {
      await h?.close();
      await receiver.stop();
    });
    afterEach(() => {
      sim.clearFailures();
      sim.setErrorRate(0);
      sim.setLatency(0);
    });

    const hookUrl = () => (h.webhookUrl ? h.webhookUrl(receiver.url) : receiver.url);
    const uniqueName = () => `ct-${name.toLowerCase().replace(/\W+/g, '')}-${Date.now().toString(36)}-${++counter}`;

    /** Every canonical event delivered so far for this instance, parsed by the adapter under test. */
    const parsedFor = (instance: string): ParsedWebhook[] =>
      receiver.bodies.map((b) => adapter.parseWebhook(b)).filter((p) => p.instanceKey === instance);

    function waitForEvent<T extends CanonicalEvent>(instance: string, what: string, match: (e: CanonicalEvent) => e is T): Promise<T>;
    function waitForEvent(instance: string, what: string, match: (e: CanonicalEvent) => boolean): Promise<CanonicalEvent>;
    function waitForEvent(instance: string, what: string, match: (e: CanonicalEvent) => boolean): Promise<CanonicalEvent> {
      return eventually(
        () =>
          parsedFor(instance)
            .flatMap((p) => p.events)
            .find(match),
        what,
      );
    }

    const isMessage =
      (id: string) =>
      (e: CanonicalEvent): e is MessageEvent =>
        e.kind === 'message' && e.messageId === id;

    async function openInstance(): Promise<InstanceCredentials> {
      const created = await adapter.createInstance({ name: uniqueName() });
      const inst: InstanceCredentials = { name: created.name, id: created.id, token: created.token };
      await adapter.configureWebhook(inst, { url: hookUrl(), enabled: true });
      await adapter.connect(inst);
      await sim.completePairing(inst.name, OWNER);
      await eventually(async () => ((await adapter.getConnection(inst)).state === 'open' ? true : undefined), 'state open');
      return inst;
    }

    it('declares a capability for every send type, setting and presence state', () => {
      const sends: SendType[] = [
        'text',
        'image',
        'video',
        'document',
        'audio',
        'voice',
        'sticker',
        'location',
        'contact',
        'reaction',
        'edit',
        'delete',
      ];
      expect(Object.keys(adapter.capabilities.sends).sort()).toEqual([...sends].sort());
      expect(Object.keys(adapter.capabilities.settings).sort()).toEqual(
        ['alwaysOnline', 'autoReadMessages', 'ignoreGroups', 'readStatus', 'rejectCallMessage', 'rejectCalls', 'syncFullHistory'].sort(),
      );
      expect(Object.keys(adapter.capabilities.presence).sort()).toEqual(['available', 'paused', 'recording', 'typing', 'unavailable']);
      expect(adapter.kind).toBe(sim.kind);
    });

    describe('instance lifecycle', () => {
      it('creates, lists, connects with a QR code, pairs, disconnects and deletes', async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        expect(created.token).toEqual(expect.any(String));
        expect(created.token.length).toBeGreaterThan(0);
        expect(created.token).toBe(sim.instanceToken(created.name));
        expect(created.status).toBe('closed');
        const inst: InstanceCredentials = { name: created.name, id: created.id, token: created.token };

        const listed = (await adapter.listInstances()).filter((i) => i.name === inst.name);
        expect(listed).toHaveLength(1);
        expect(listed[0]?.state).toBe('closed');
        expect(listed[0]?.token).toBe(inst.token);

        const connecting = await adapter.connect(inst);
        expect(connecting.state).toBe('connecting');
        expect(connecting.qrCode).toEqual(expect.any(String));
        expect(connecting.pairCode).toBeUndefined();
        expect((await adapter.getConnection(inst)).state).toBe('connecting');

        await sim.completePairing(inst.name, OWNER);
        const open = await eventually(async () => {
          const c = await adapter.getConnection(inst);
          return c.state === 'open' ? c : undefined;
        }, 'open');
        expect(open.phoneE164).toBe(OWNER);
        expect(open.qrCode).toBeUndefined();
        expect((await adapter.listInstances()).find((i) => i.name === inst.name)?.state).toBe('open');

        await adapter.disconnect(inst);
        const closed = await adapter.getConnection(inst);
        expect(['closed', 'logged_out']).toContain(closed.state);

        await adapter.deleteInstance(inst);
        expect((await adapter.listInstances()).some((i) => i.name === inst.name)).toBe(false);
      });

      it('rotates the QR code while connecting', async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        const inst = { name: created.name, id: created.id, token: created.token };
        const first = await adapter.connect(inst);
        expect(first.qrCode).toEqual(expect.any(String));
        const next = await eventually(async () => {
          const again = await adapter.connect(inst);
          return again.qrCode && again.qrCode !== first.qrCode ? again : undefined;
        }, 'a new QR code');
        expect(next.state).toBe('connecting');
        await adapter.deleteInstance(inst);
      });

      it('connects with a pair code for a phone number, also after a QR code was issued', async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        const inst = { name: created.name, id: created.id, token: created.token };
        const paired = await adapter.connect(inst, { phone: CONTACT });
        expect(paired.state).toBe('connecting');
        expect(paired.pairCode).toMatch(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
        await sim.completePairing(inst.name, CONTACT);
        await eventually(async () => ((await adapter.getConnection(inst)).state === 'open' ? true : undefined), 'open');
        await adapter.deleteInstance(inst);

        const other = await adapter.createInstance({ name: uniqueName() });
        const inst2 = { name: other.name, id: other.id, token: other.token };
        expect((await adapter.connect(inst2)).qrCode).toEqual(expect.any(String));
        const code = await adapter.connect(inst2, { phone: CONTACT });
        expect(code.pairCode).toMatch(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
        expect(code.state).toBe('connecting');
        await adapter.deleteInstance(inst2);
      });

      it('renames an instance', async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        const inst = { name: created.name, id: created.id, token: created.token };
        if (!adapter.capabilities.rename) {
          expect((await rejection(adapter.rename(inst, `${inst.name}-x`))).kind).toBe('unsupported');
        } else {
          const renamed = `${inst.name}-renamed`;
          await adapter.rename(inst, renamed);
          const names = (await adapter.listInstances()).map((i) => i.name);
          expect(names).toContain(renamed);
          expect(names).not.toContain(inst.name);
          inst.name = renamed;
        }
        await adapter.deleteInstance(inst);
      });

      it('restarts an open instance where supported', async () => {
        const inst = await openInstance();
        if (!adapter.capabilities.restart) {
          expect((await rejection(adapter.restart(inst))).kind).toBe('unsupported');
        } else {
          const info = await adapter.restart(inst);
          expect(['open', 'connecting']).toContain(info.state);
          await eventually(async () => ((await adapter.getConnection(inst)).state === 'open' ? true : undefined), 'open again');
        }
        await adapter.deleteInstance(inst);
      });

      it('reports connection changes on the webhook: QR, open, closed and logged out', async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        const inst = { name: created.name, id: created.id, token: created.token };
        await adapter.configureWebhook(inst, { url: hookUrl(), enabled: true });
        await adapter.connect(inst);
        const qr = await waitForEvent(
          inst.name,
          'connecting with QR',
          (e) => e.kind === 'connection' && e.state === 'connecting' && !!e.qrCode,
        );
        expect(qr.kind === 'connection' && qr.qrCode?.length).toBeGreaterThan(0);
        await sim.completePairing(inst.name, OWNER);
        const open = await waitForEvent(inst.name, 'open', (e) => e.kind === 'connection' && e.state === 'open');
        expect(open.kind === 'connection' && open.phoneE164).toBe(OWNER);

        await sim.dropConnection(inst.name, false);
        await waitForEvent(inst.name, 'closed', (e) => e.kind === 'connection' && e.state === 'closed');
        expect((await adapter.getConnection(inst)).state).toBe('closed');

        await adapter.connect(inst);
        await sim.completePairing(inst.name, OWNER);
        await eventually(async () => ((await adapter.getConnection(inst)).state === 'open' ? true : undefined), 'open again');
        await sim.dropConnection(inst.name, true);
        const out = await waitForEvent(inst.name, 'logged out', (e) => e.kind === 'connection' && e.state === 'logged_out');
        expect(out.kind).toBe('connection');
        await adapter.deleteInstance(inst);
      });
    });

    describe('settings', () => {
      it('applies what the provider supports and reports the rest, never dropping a setting', async () => {
        const inst = await openInstance();
        const all: ProviderSettings = {
          rejectCalls: true,
          rejectCallMessage: 'Não atendemos ligações',
          ignoreGroups: true,
          alwaysOnline: true,
          autoReadMessages: false,
          readStatus: false,
          syncFullHistory: false,
        };
        const result = await adapter.updateSettings(inst, all);
        expect([...result.applied, ...result.unsupported].sort()).toEqual(Object.keys(all).sort());
        for (const key of Object.keys(all) as (keyof ProviderSettings)[]) {
          expect(adapter.capabilities.settings[key] ? result.applied : result.unsupported).toContain(key);
        }

        const one = await adapter.updateSettings(inst, { alwaysOnline: false });
        expect([...one.applied, ...one.unsupported]).toEqual(['alwaysOnline']);
        await adapter.deleteInstance(inst);
      });
    });

    describe('sending', () => {
      let inst: InstanceCredentials;
      let inboundId: string;
      beforeAll(async () => {
        inst = await openInstance();
        inboundId = await sim.receive(inst.name, { from: CONTACT, text: 'mensagem para citar' });
      });
      afterAll(async () => {
        await adapter.deleteInstance(inst);
      });

      async function sendAndCheck(command: SendCommand, check: (s: SentMessage) => void): Promise<string | undefined> {
        if (!adapter.capabilities.sends[command.type]) {
          expect((await rejection(adapter.send(inst, command))).kind).toBe('unsupported');
          return undefined;
        }
        const before = sim.sent(inst.name).length;
        const result = await adapter.send(inst, command);
        expect(result.messageId).toEqual(expect.any(String));
        expect(result.messageId.length).toBeGreaterThan(0);
        expect(result.timestamp).toBeGreaterThan(1_600_000_000_000);
        if (adapter.capabilities.trackId && command.trackId) expect(result.trackId).toBe(command.trackId);
        const sent = sim.sent(inst.name);
        expect(sent).toHaveLength(before + 1);
        const s = last(sent);
        expect(s.instance).toBe(inst.name);
        expect(toJid(s.to)).toBe(toJid(command.to));
        if (command.type !== 'edit' && command.type !== 'delete') expect(s.messageId).toBe(result.messageId);
        if (adapter.capabilities.trackId && command.trackId) expect(s.trackId).toBe(command.trackId);
        check(s);
        return result.messageId;
      }

      it('text with reply, link preview, mentions and track id', async () => {
        await sendAndCheck(
          {
            type: 'text',
            to: CONTACT,
            text: 'Olá! https://example.com',
            replyTo: { id: inboundId },
            linkPreview: true,
            trackId: 'trk-text-1',
          },
          (s) => {
            expect(s.type).toBe('text');
            expect(s.text).toBe('Olá! https://example.com');
            expect(s.replyToId).toBe(inboundId);
          },
        );
        await sendAndCheck({ type: 'text', to: '120363000000000001@g.us', text: 'oi grupo', mentions: [CONTACT] }, (s) => {
          expect(s.type).toBe('text');
          expect(s.text).toBe('oi grupo');
        });
      });

      it('image from a URL and from bytes', async () => {
        await sendAndCheck(
          { type: 'image', to: CONTACT, source: { url: 'https://cdn.example.com/foto.jpg' }, caption: 'foto', trackId: 'trk-img-1' },
          (s) => {
            expect(s.type).toBe('image');
            expect(s.mediaUrl).toBe('https://cdn.example.com/foto.jpg');
            expect(s.caption).toBe('foto');
          },
        );
        const bytes = Buffer.from('fake-jpeg-bytes').toString('base64');
        await sendAndCheck({ type: 'image', to: CONTACT, source: { base64: bytes, mimeType: 'image/jpeg' } }, (s) => {
          expect(s.type).toBe('image');
          expect(s.mediaBase64).toBe(bytes);
          expect(s.mimeType).toBe('image/jpeg');
        });
      });

      it('video, document with file name, audio file, voice note and sticker', async () => {
        await sendAndCheck({ type: 'video', to: CONTACT, source: { url: 'https://cdn.example.com/v.mp4' }, caption: 'vídeo' }, (s) => {
          expect(s.type).toBe('video');
          expect(s.mediaUrl).toBe('https://cdn.example.com/v.mp4');
          expect(s.caption).toBe('vídeo');
        });
        await sendAndCheck(
          {
            type: 'document',
            to: CONTACT,
            source: { url: 'https://cdn.example.com/c.pdf' },
            fileName: 'contrato.pdf',
            caption: 'Segue',
            mimeType: 'application/pdf',
          },
          (s) => {
            expect(s.type).toBe('document');
            expect(s.fileName).toBe('contrato.pdf');
            expect(s.caption).toBe('Segue');
          },
        );
        await sendAndCheck({ type: 'audio', to: CONTACT, source: { url: 'https://cdn.example.com/a.mp3' } }, (s) => {
          expect(s.type).toBe('audio');
          expect(s.mediaUrl).toBe('https://cdn.example.com/a.mp3');
        });
        const ogg = Buffer.from('OggS-voice').toString('base64');
        await sendAndCheck({ type: 'voice', to: CONTACT, source: { base64: ogg, mimeType: 'audio/ogg; codecs=opus' } }, (s) => {
          expect(s.type).toBe('voice');
          expect(s.mediaBase64).toBe(ogg);
        });
        await sendAndCheck({ type: 'sticker', to: CONTACT, source: { url: 'https://cdn.example.com/s.webp' } }, (s) => {
          expect(s.type).toBe('sticker');
          expect(s.mediaUrl).toBe('https://cdn.example.com/s.webp');
        });
      });

      it('location and contact card', async () => {
        await sendAndCheck(
          { type: 'location', to: CONTACT, latitude: -23.5616, longitude: -46.6562, name: 'MASP', address: 'Av. Paulista, 1578' },
          (s) => {
            expect(s.type).toBe('location');
            expect(s.latitude).toBe(-23.5616);
            expect(s.longitude).toBe(-46.6562);
          },
        );
        await sendAndCheck({ type: 'contact', to: CONTACT, name: 'João Silva', phones: ['+5511912345678'] }, (s) => {
          expect(s.type).toBe('contact');
          expect(s.contactName).toBe('João Silva');
          expect((s.contactPhones ?? []).map((p) => canonicalPhone(p))).toEqual(['+5511912345678']);
        });
      });

      it('reaction, edit and delete for everyone', async () => {
        await sendAndCheck(
          { type: 'reaction', to: CONTACT, target: { id: inboundId, chatJid: toJid(CONTACT), fromMe: false }, emoji: '👍' },
          (s) => {
            expect(s.type).toBe('reaction');
            expect(s.emoji).toBe('👍');
            expect(s.targetId).toBe(inboundId);
          },
        );
        const own = await adapter.send(inst, { type: 'text', to: CONTACT, text: 'errado' });
        const ownKey = { id: own.messageId, chatJid: toJid(CONTACT), fromMe: true };
        await sendAndCheck({ type: 'edit', to: CONTACT, target: ownKey, text: 'certo' }, (s) => {
          expect(s.type).toBe('edit');
          expect(s.text).toBe('certo');
          expect(s.targetId).toBe(own.messageId);
        });
        await sendAndCheck({ type: 'delete', to: CONTACT, target: ownKey }, (s) => {
          expect(s.type).toBe('delete');
          expect(s.targetId).toBe(own.messageId);
        });
      });

      it('marks messages read and sets presence with one provider call each', async () => {
        const count = () => sim.requests().length;
        let before = count();
        await expect(adapter.markRead(inst, CONTACT, [{ id: inboundId, chatJid: toJid(CONTACT), fromMe: false }])).resolves.toBeUndefined();
        expect(count()).toBe(before + 1);
        for (const state of ['typing', 'recording', 'paused'] as const) {
          before = count();
          if (adapter.capabilities.presence[state]) {
            await expect(adapter.setPresence(inst, CONTACT, state, 3000)).resolves.toBeUndefined();
            expect(count()).toBe(before + 1);
          } else {
            expect((await rejection(adapter.setPresence(inst, CONTACT, state))).kind).toBe('unsupported');
          }
        }
      });

      it('echoes an API send back on the webhook as fromMe with the track id', async () => {
        const result = await adapter.send(inst, { type: 'text', to: CONTACT, text: 'eco', trackId: 'trk-echo-1' });
        const echo = await waitForEvent(inst.name, 'echo', isMessage(result.messageId));
        expect(echo.fromMe).toBe(true);
        expect(echo.chat.phoneE164).toBe(CONTACT);
        expect(echo.content).toEqual({ type: 'text', text: 'eco' });
        if (adapter.capabilities.trackId) expect(echo.trackId).toBe('trk-echo-1');
      });

      it('reports delivered, read and played statuses of a sent message', async () => {
        const result = await adapter.send(inst, { type: 'voice', to: CONTACT, source: { url: 'https://cdn.example.com/v.ogg' } });
        for (const status of ['delivered', 'read', 'played'] as const) {
          await sim.ack(inst.name, result.messageId, status);
          const ev = await waitForEvent(
            inst.name,
            `status ${status}`,
            (e): e is StatusEvent => e.kind === 'status' && e.status === status && e.messageIds.includes(result.messageId),
          );
          expect(ev.fromMe).toBe(true);
          expect(ev.chat.phoneE164).toBe(CONTACT);
          expect(ev.timestamp).toBeGreaterThan(1_600_000_000_000);
        }
      });
    });

    describe('inbound webhooks', () => {
      let inst: InstanceCredentials;
      beforeAll(async () => {
        inst = await openInstance();
      });
      afterAll(async () => {
        await adapter.deleteInstance(inst);
      });

      const message = (id: string) => waitForEvent(inst.name, `message ${id}`, isMessage(id));

      it('a contact sends text: ids, chat, sender, phone, timestamp and the instance token', async () => {
        const before = Date.now();
        const id = await sim.receive(inst.name, { from: CONTACT, text: 'oi', pushName: 'Maria' });
        const ev = await message(id);
        expect(ev.content).toEqual({ type: 'text', text: 'oi' });
        expect(ev.fromMe).toBe(false);
        expect(ev.chat.isGroup).toBe(false);
        expect(ev.chat.phoneE164).toBe(CONTACT);
        expect(ev.sender.phoneE164).toBe(CONTACT);
        expect(ev.sender.name).toBe('Maria');
        expect(ev.dedupeKey).toEqual(expect.any(String));
        expect(ev.timestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(ev.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
        const parsed = parsedFor(inst.name).find((p) => p.events.some((e) => e === ev || (e.kind === 'message' && e.messageId === id)));
        if (parsed?.instanceToken !== undefined) expect(parsed.instanceToken).toBe(inst.token);
        // Redelivery of the same body gives the same dedupe key.
        const again = parsedFor(inst.name)
          .flatMap((p) => p.events)
          .filter((e) => e.kind === 'message' && e.messageId === id);
        expect(new Set(again.map((e) => e.dedupeKey)).size).toBe(1);
      });

      it('a contact addressed by LID keeps the phone alternate', async () => {
        const lid = '123456789012345@lid';
        const id = await sim.receive(inst.name, { from: '+5511976543210', lid, text: 'via lid' });
        const ev = await message(id);
        expect(ev.chat.phoneE164 ?? ev.sender.phoneE164).toBe('+5511976543210');
        expect([ev.chat.lid, ev.sender.lid, ev.chat.jid, ev.sender.jid]).toContain(lid);
      });

      it('a Brazilian mobile without the ninth digit is the same person', async () => {
        const id = await sim.receive(inst.name, { from: '+551187654321', text: 'sem nono dígito' });
        const ev = await message(id);
        expect(ev.chat.phoneE164).toBe('+5511987654321');
        expect(ev.sender.phoneE164).toBe('+5511987654321');
      });

      it('a group message keeps the group and its participant', async () => {
        const group = '120363000000000002@g.us';
        const id = await sim.receive(inst.name, { from: group, participant: '+5511912345678', text: 'oi grupo', pushName: 'Zé' });
        const ev = await message(id);
        expect(ev.chat.isGroup).toBe(true);
        expect(ev.chat.jid).toBe(group);
        expect(ev.chat.phoneE164).toBeUndefined();
        expect(ev.sender.phoneE164).toBe('+5511912345678');
        expect(ev.content).toEqual({ type: 'text', text: 'oi grupo' });
      });

      it('a reply points at the quoted message', async () => {
        const first = await sim.receive(inst.name, { from: CONTACT, text: 'primeira' });
        const id = await sim.receive(inst.name, { from: CONTACT, text: 'resposta', replyToId: first });
        const ev = await message(id);
        expect(ev.replyTo?.id).toBe(first);
        expect(ev.content).toEqual({ type: 'text', text: 'resposta' });
      });

      it('a message typed on the phone arrives as fromMe in the contact conversation', async () => {
        const id = await sim.receive(inst.name, { from: CONTACT, text: 'do celular', fromMe: true });
        const ev = await message(id);
        expect(ev.fromMe).toBe(true);
        expect(ev.chat.phoneE164).toBe(CONTACT);
      });

      for (const kind of ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const) {
        it(`${kind} media can be downloaded through the adapter`, async () => {
          const mimeType = {
            image: 'image/jpeg',
            video: 'video/mp4',
            audio: 'audio/mpeg',
            voice: 'audio/ogg; codecs=opus',
            document: 'application/pdf',
            sticker: 'image/webp',
          }[kind];
          const data = Buffer.from(`${kind}-bytes-${Math.random()}`);
          const fileName = kind === 'document' ? 'relatorio.pdf' : undefined;
          const caption = kind === 'image' || kind === 'video' || kind === 'document' ? `legenda ${kind}` : undefined;
          const id = await sim.receive(inst.name, { from: CONTACT, media: { kind, mimeType, data, fileName, caption } });
          const ev = await message(id);
          expect(ev.content.type).toBe(kind);
          if (ev.content.type !== kind) return;
          const content = ev.content as Extract<MessageEvent['content'], { media: unknown }>;
          expect(content.media.mimeType).toBe(mimeType);
          if (fileName) expect(content.media.fileName).toBe(fileName);
          if (caption) expect(content.caption).toBe(caption);
          const file = await adapter.downloadMedia(inst, content.media, { id, chatJid: ev.chat.jid, fromMe: false });
          expect(file.data.equals(data)).toBe(true);
          expect(file.mimeType.split(';')[0]).toBe(mimeType.split(';')[0]);
        });
      }

      it('location, contact card, reaction and edit', async () => {
        const loc = await message(
          await sim.receive(inst.name, { from: CONTACT, location: { latitude: -8.03, longitude: -34.89, name: 'Recife' } }),
        );
        expect(loc.content).toMatchObject({ type: 'location', latitude: -8.03, longitude: -34.89 });

        const card = await message(await sim.receive(inst.name, { from: CONTACT, contact: { name: 'Andrei', phone: '+40746532768' } }));
        expect(card.content.type).toBe('contacts');
        if (card.content.type === 'contacts') {
          expect(card.content.contacts[0]?.name).toBe('Andrei');
          expect(card.content.contacts[0]?.phones).toEqual(['+40746532768']);
        }

        const target = await sim.receive(inst.name, { from: CONTACT, text: 'alvo' });
        const reaction = await message(await sim.receive(inst.name, { from: CONTACT, reaction: { targetId: target, emoji: '❤️' } }));
        expect(reaction.content).toMatchObject({ type: 'reaction', emoji: '❤️', target: { id: target } });

        await sim.receive(inst.name, { from: CONTACT, edit: { targetId: target, text: 'alvo editado' } });
        // Found by its target: Evolution reports an edit without the edit's own WhatsApp id.
        const edit = await waitForEvent(
          inst.name,
          'edit',
          (e): e is MessageEvent => e.kind === 'message' && e.content.type === 'edit' && e.content.target.id === target,
        );
        expect(edit.content).toMatchObject({ type: 'edit', text: 'alvo editado', target: { id: target } });
        expect(edit.fromMe).toBe(false);
        expect(edit.chat.phoneE164).toBe(CONTACT);
      });

      it('a delete for everyone names the deleted message', async () => {
        const target = await sim.receive(inst.name, { from: CONTACT, text: 'vou apagar' });
        await sim.receive(inst.name, { from: CONTACT, deleteOf: target });
        // Providers report a revoke either as a status of the message or as a message of its own.
        const ev = await waitForEvent(
          inst.name,
          'deletion',
          (e) =>
            (e.kind === 'status' && e.status === 'deleted' && e.messageIds.includes(target)) ||
            (e.kind === 'message' && e.content.type === 'delete' && e.content.target.id === target),
        );
        expect(ev.timestamp).toBeGreaterThan(1_600_000_000_000);
      });

      it('typing, recording and paused presence of a contact', async () => {
        const expected = { composing: 'typing', recording: 'recording', paused: 'paused' } as const;
        for (const state of ['composing', 'recording', 'paused'] as const) {
          const mark = receiver.bodies.length;
          await sim.typing(inst.name, CONTACT, state);
          const ev = await eventually(
            () =>
              receiver.bodies
                .slice(mark)
                .map((b) => adapter.parseWebhook(b))
                .filter((p) => p.instanceKey === inst.name)
                .flatMap((p) => p.events)
                .find((e) => e.kind === 'presence'),
            `presence ${state}`,
          );
          expect(ev.kind === 'presence' && ev.state).toBe(expected[state]);
          expect(ev.kind === 'presence' && ev.chat.phoneE164).toBe(CONTACT);
        }
      });
    });

    describe('error mapping with injected failures', () => {
      let inst: InstanceCredentials;
      beforeAll(async () => {
        const created = await adapter.createInstance({ name: uniqueName() });
        inst = { name: created.name, id: created.id, token: created.token };
      });
      afterAll(async () => {
        await adapter.deleteInstance(inst);
      });

      const expectNoSecrets = (error: ProviderError) => {
        const text = `${error.message} ${error.providerMessage ?? ''} ${JSON.stringify(error)} ${String(error.stack)}`;
        expect(text).not.toContain(inst.token);
        expect(text).not.toContain(sim.adminToken);
      };

      const cases: [number, ProviderErrorKind, boolean][] = [
        [400, 'bad_request', false],
        [401, 'unauthorized', false],
        [403, 'forbidden', false],
        [404, 'not_found', false],
        [405, 'method_not_allowed', false],
        [409, 'conflict', false],
        [413, 'payload_too_large', false],
        [500, 'server', true],
        [503, 'server', true],
      ];
      for (const [status, kind, retryable] of cases) {
        it(`HTTP ${status} → ${kind} (retryable: ${retryable}) with the provider's message`, async () => {
          sim.fail({ path: /./, status, body: { error: `simulated ${status}` } });
          const error = await rejection(adapter.getConnection(inst));
          expect(error.kind).toBe(kind);
          expect(error.retryable).toBe(retryable);
          expect(error.httpStatus).toBe(status);
          expect(error.providerMessage).toBe(`simulated ${status}`);
          expect(error.message).toContain(`simulated ${status}`);
          expectNoSecrets(error);
          // The rule was for one request only.
          expect((await adapter.getConnection(inst)).state).toBe('closed');
        });
      }

      it('HTTP 429 → rate_limited, retryable, with Retry-After', async () => {
        sim.fail({ path: /./, status: 429, body: { error: 'rate limit' }, headers: { 'retry-after': '2' } });
        const error = await rejection(adapter.send(inst, { type: 'text', to: CONTACT, text: 'x' }));
        expect(error.kind).toBe('rate_limited');
        expect(error.retryable).toBe(true);
        expect(error.retryAfterMs).toBe(2000);
        expectNoSecrets(error);
      });

      it('server-level calls fail without leaking the admin credential', async () => {
        sim.fail({ path: /./, status: 401, body: { error: 'Invalid AdminToken Header' } });
        const error = await rejection(adapter.listInstances());
        expect(error.kind).toBe('unauthorized');
        expect(error.retryable).toBe(false);
        expectNoSecrets(error);
      });

      it('a provider that never answers → timeout, retryable', async () => {
        sim.fail({ path: /./, hang: true });
        const error = await rejection(h.withTimeout(300).getConnection(inst));
        expect(error.kind).toBe('timeout');
        expect(error.retryable).toBe(true);
        expect(error.httpStatus).toBeUndefined();
        expectNoSecrets(error);
      });

      it('a dropped connection → network, retryable', async () => {
        sim.fail({ path: /./, reset: true });
        const error = await rejection(adapter.getConnection(inst));
        expect(error.kind).toBe('network');
        expect(error.retryable).toBe(true);
        expectNoSecrets(error);
      });

      it('a planned failure applies to the given number of requests, then the provider recovers', async () => {
        sim.fail({ path: /./, status: 500, times: 2 });
        expect((await rejection(adapter.getConnection(inst))).kind).toBe('server');
        expect((await rejection(adapter.getConnection(inst))).kind).toBe('server');
        expect((await adapter.getConnection(inst)).state).toBe('closed');
      });

      it('an error rate of 1 fails every call with a retryable server error; latency only slows calls', async () => {
        sim.setErrorRate(1);
        const error = await rejection(adapter.getConnection(inst));
        expect(error.kind).toBe('server');
        expect(error.retryable).toBe(true);
        sim.setErrorRate(0);
        sim.setLatency(40);
        const started = Date.now();
        expect((await adapter.getConnection(inst)).state).toBe('closed');
        expect(Date.now() - started).toBeGreaterThanOrEqual(35);
      });
    });
  });
}
