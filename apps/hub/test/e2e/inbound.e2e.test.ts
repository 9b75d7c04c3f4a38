// Issue 6, end to end: provider webhooks from the simulators become exactly the Chatwoot calls
// expected, asserted on what the Chatwoot simulator stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationFor, invalidChatwootRequests, type ProviderName, publicMessages, type Stack, startStack, waitFor } from './harness.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe.each<ProviderName>(['uazapi', 'evolution'])('inbound through %s', (provider) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(provider);
  }, 60_000);
  afterAll(() => stack?.close());

  it('relays a text as an incoming message of one contact and one conversation', async () => {
    const id = await stack.sim.receive(stack.instanceName, { from: '+5511987650001', pushName: 'Maria Silva', text: 'oi, tudo bem?' });
    const conv = await conversationFor(stack, '5511987650001');
    const [message] = await waitFor(
      () => (publicMessages(stack, conv.id).length ? publicMessages(stack, conv.id) : null),
      'the message in Chatwoot',
    );
    expect(message).toMatchObject({ messageType: 'incoming', content: 'oi, tudo bem?', sourceId: id, private: false });
    const contact = stack.chatwoot.contacts().find((c) => c.id === conv.contactId);
    expect(contact).toMatchObject({ phoneNumber: '+5511987650001', name: 'Maria Silva' });
  });

  it('attaches every media type with a content type Chatwoot renders, flagging voice notes', async () => {
    const from = '+5511987650002';
    const media = [
      { kind: 'image', mimeType: 'image/png', data: PNG, caption: 'foto' },
      { kind: 'video', mimeType: 'video/mp4', data: Buffer.from('fake-mp4') },
      { kind: 'document', mimeType: 'application/pdf', data: Buffer.from('%PDF-1.4'), fileName: 'boleto.pdf' },
      { kind: 'audio', mimeType: 'audio/mpeg', data: Buffer.from('ID3-audio') },
      { kind: 'voice', mimeType: 'audio/ogg; codecs=opus', data: Buffer.from('OggS-voice') },
      { kind: 'sticker', mimeType: 'image/webp', data: Buffer.from('RIFF-webp') },
    ] as const;
    for (const m of media) await stack.sim.receive(stack.instanceName, { from, media: { ...m } });
    const conv = await conversationFor(stack, '5511987650002');
    const messages = await waitFor(
      () => (publicMessages(stack, conv.id).length === media.length ? publicMessages(stack, conv.id) : null),
      'six media messages',
    );
    expect(messages.map((m) => m.attachments[0]?.fileType)).toEqual(['image', 'video', 'file', 'audio', 'audio', 'image']);
    expect(messages[0]?.content).toBe('foto');
    expect(messages[2]?.attachments[0]?.fileName).toBe('boleto.pdf');
    expect(messages.map((m) => Boolean(m.attachments[0]?.isVoiceMessage))).toEqual([false, false, false, false, true, false]);
  });

  it('links replies, shows reactions and edits next to the original, and keeps deleted messages', async () => {
    const from = '+5511987650003';
    const original = await stack.sim.receive(stack.instanceName, { from, text: 'pedido 123' });
    await stack.sim.receive(stack.instanceName, { from, text: 'e o prazo?', replyToId: original });
    await stack.sim.receive(stack.instanceName, { from, reaction: { targetId: original, emoji: '👍' } });
    await stack.sim.receive(stack.instanceName, { from, edit: { targetId: original, text: 'pedido 124' } });
    await stack.sim.receive(stack.instanceName, { from, deleteOf: original });
    const conv = await conversationFor(stack, '5511987650003');
    const all = await waitFor(
      () => (stack.chatwoot.messages(conv.id).length === 5 ? stack.chatwoot.messages(conv.id) : null),
      'five messages',
    );
    const first = all[0]!;
    expect(first).toMatchObject({ content: 'pedido 123', sourceId: original });
    expect(all[1]).toMatchObject({ content: 'e o prazo?' });
    expect(all[1]?.contentAttributes.in_reply_to).toBe(first.id);
    expect(all[2]).toMatchObject({ content: 'Reagiu com 👍' });
    expect(all[2]?.contentAttributes.in_reply_to).toBe(first.id);
    expect(all[3]?.content).toBe('✏️ Mensagem editada:\npedido 124');
    expect(all[4]).toMatchObject({ private: true, content: '🗑️ O contato apagou esta mensagem no WhatsApp.' });
    // The original is kept as it was.
    expect(stack.chatwoot.messages(conv.id)[0]?.content).toBe('pedido 123');
  });

  it('puts a group in one conversation with each message prefixed by its participant', async () => {
    const group = '120363025246125486@g.us';
    await stack.sim.receive(stack.instanceName, { from: group, participant: '+5511987650004', pushName: 'Ana', text: 'bom dia, grupo' });
    await stack.sim.receive(stack.instanceName, { from: group, participant: '+5511987650005', pushName: 'Bruno', text: 'bom dia!' });
    const conv = await conversationFor(stack, group);
    const messages = await waitFor(
      () => (publicMessages(stack, conv.id).length === 2 ? publicMessages(stack, conv.id) : null),
      'two group messages',
    );
    expect(messages[0]?.content).toBe('*Ana (+55 11 98765-0004):*\nbom dia, grupo');
    expect(messages[1]?.content).toBe('*Bruno (+55 11 98765-0005):*\nbom dia!');
    expect(stack.chatwoot.conversations().filter((c) => c.contactInboxId === conv.contactInboxId)).toHaveLength(1);
  });

  it('shows a message typed on the phone as outgoing and never sends it back to WhatsApp', async () => {
    const before = stack.sim.sent(stack.instanceName).length;
    const id = await stack.sim.receive(stack.instanceName, { from: '+5511987650006', fromMe: true, text: 'respondi pelo celular' });
    const conv = await conversationFor(stack, '5511987650006');
    const [message] = await waitFor(
      () => (publicMessages(stack, conv.id).length ? publicMessages(stack, conv.id) : null),
      'the phone message',
    );
    expect(message).toMatchObject({ messageType: 'outgoing', content: 'respondi pelo celular', sourceId: id });
    expect(message?.contentAttributes.external_echo).toBe(true);
    // Chatwoot's webhook for that message carries our source_id: the Hub must not send it.
    await stack.chatwoot.flushWebhooks();
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.sim.sent(stack.instanceName).length).toBe(before);
  });

  it('creates one Chatwoot message when the same webhook arrives three times', async () => {
    const id = await stack.sim.receive(stack.instanceName, { from: '+5511987650007', text: 'só uma vez' });
    const delivery = stack.sim
      .deliveries()
      .filter((d) => JSON.stringify(d.body).includes(id))
      .at(-1);
    expect(delivery).toBeDefined();
    const again = [
      await stack.sim.deliverRaw(stack.instanceName, delivery!.body),
      await stack.sim.deliverRaw(stack.instanceName, delivery!.body),
    ];
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect(again.map((r) => JSON.parse(r.body).duplicates)).toEqual([1, 1]);
    const conv = await conversationFor(stack, '5511987650007');
    await waitFor(() => publicMessages(stack, conv.id).length === 1, 'the message');
    await new Promise((r) => setTimeout(r, 300));
    expect(publicMessages(stack, conv.id).map((m) => m.sourceId)).toEqual([id]);
  });

  it('keeps 100 fast messages of one contact in order', async () => {
    const from = '+5511987650008';
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => i).map(async (i) => {
        // Fired as fast as possible, but each webhook is sent after the previous one started, as WhatsApp does.
        await new Promise((r) => setTimeout(r, i * 2));
        await stack.sim.receive(stack.instanceName, { from, text: `msg ${i}` });
      }),
    );
    const conv = await conversationFor(stack, '5511987650008');
    const messages = await waitFor(
      () => (publicMessages(stack, conv.id).length === 100 ? publicMessages(stack, conv.id) : null),
      '100 messages',
      60_000,
    );
    const sent = stack.sim
      .deliveries()
      .filter((d) => JSON.stringify(d.body).includes('msg '))
      .map((d) => JSON.stringify(d.body).match(/msg (\d+)/)?.[1]);
    const arrivalOrder = [...new Set(sent)].map((n) => `msg ${n}`);
    expect(messages.map((m) => m.content)).toEqual(arrivalOrder);
  });

  it('serves 50 contacts in parallel without one blocking the others', async () => {
    // Chatwoot hangs for one contact's conversation; the other 49 must still get through.
    const slow = '+5511987651000';
    await stack.sim.receive(stack.instanceName, { from: slow, text: 'primeira' });
    const slowConv = await conversationFor(stack, '5511987651000');
    await waitFor(() => publicMessages(stack, slowConv.id).length === 1, 'the slow contact first message');
    stack.chatwoot.fail({ path: new RegExp(`/conversations/${slowConv.id}/messages$`), method: 'POST', status: 503, times: 1000 });
    await stack.sim.receive(stack.instanceName, { from: slow, text: 'segunda' });
    const phones = Array.from({ length: 49 }, (_, i) => `+55119876510${String(i + 1).padStart(2, '0')}`);
    await Promise.all(phones.map((from) => stack.sim.receive(stack.instanceName, { from, text: `oi de ${from}` })));
    for (const phone of phones) {
      const conv = await conversationFor(stack, phone.slice(1), 30_000);
      await waitFor(() => publicMessages(stack, conv.id).length === 1, `the message of ${phone}`, 30_000);
    }
    expect(publicMessages(stack, slowConv.id).map((m) => m.content)).toEqual(['primeira']);
    stack.chatwoot.clearFailures();
    await waitFor(() => publicMessages(stack, slowConv.id).length === 2, 'the slow contact to catch up', 30_000);
  });

  it('makes one contact of the same person addressed by LID, by phone and by the other ninth-digit form', async () => {
    await stack.sim.receive(stack.instanceName, { from: '+5511987659999', text: 'pelo telefone' });
    await stack.sim.receive(stack.instanceName, { from: '+551187659999', text: 'sem o nono dígito' });
    await stack.sim.receive(stack.instanceName, { from: '+5511987659999', lid: '99887766554433@lid', text: 'pelo LID' });
    await stack.sim.receive(stack.instanceName, { from: '99887766554433@lid', text: 'só o LID' });
    const conv = await conversationFor(stack, '5511987659999');
    const messages = await waitFor(
      () => (publicMessages(stack, conv.id).length === 4 ? publicMessages(stack, conv.id) : null),
      'four messages in one conversation',
    );
    expect(messages.map((m) => m.content)).toEqual(['pelo telefone', 'sem o nono dígito', 'pelo LID', 'só o LID']);
    expect(stack.chatwoot.contacts().filter((c) => c.phoneNumber === '+5511987659999' || c.phoneNumber === '+551187659999')).toHaveLength(
      1,
    );
    expect(stack.chatwoot.conversations().filter((c) => c.contactId === conv.contactId)).toHaveLength(1);
  });

  it('waits while Chatwoot answers 500, delivers in order once it recovers, and dead-letters past the limit', async () => {
    const from = '+5511987650010';
    await stack.sim.receive(stack.instanceName, { from, text: 'antes' });
    const conv = await conversationFor(stack, '5511987650010');
    await waitFor(() => publicMessages(stack, conv.id).length === 1, 'the first message');
    await stack.deps.db
      .$unguarded('test')
      .instance.update({ where: { id: stack.instanceId }, data: { backoffBaseMs: 100, backoffMaxMs: 400 } });
    stack.chatwoot.fail({ path: /\/messages$/, method: 'POST', status: 500, times: 3 });
    for (const text of ['um', 'dois', 'três']) await stack.sim.receive(stack.instanceName, { from, text });
    await waitFor(() => publicMessages(stack, conv.id).length === 4, 'the three messages after recovery', 30_000);
    expect(publicMessages(stack, conv.id).map((m) => m.content)).toEqual(['antes', 'um', 'dois', 'três']);

    await stack.deps.db.$unguarded('test').instance.update({ where: { id: stack.instanceId }, data: { inboundMaxAttempts: 2 } });
    stack.chatwoot.fail({ path: /\/messages$/, method: 'POST', status: 500, times: 1000 });
    await stack.sim.receive(stack.instanceName, { from, text: 'perdida' });
    const dead = await waitFor(
      async () => {
        const page = await stack.lanes.listItems({
          tenantId: stack.tenantId,
          instanceId: stack.instanceId,
          direction: 'INBOUND',
          status: 'DEAD',
        });
        return page.rows.length ? page.rows : null;
      },
      'a dead letter',
      30_000,
    );
    expect(dead[0]?.lastError).toContain('500');
    stack.chatwoot.clearFailures();
    // Inbound skips a dead item by default, so the contact's next message still arrives.
    await stack.sim.receive(stack.instanceName, { from, text: 'depois' });
    await waitFor(() => publicMessages(stack, conv.id).some((m) => m.content === 'depois'), 'the next message', 30_000);
  });

  it('shows the contact typing in Chatwoot through the public API', async () => {
    const from = '+5511987650011';
    await stack.sim.receive(stack.instanceName, { from, text: 'vou digitar' });
    const conv = await conversationFor(stack, '5511987650011');
    await waitFor(() => publicMessages(stack, conv.id).length === 1, 'the first message');
    const typing = () =>
      stack.chatwoot.requests({
        path: new RegExp(`/public/api/v1/inboxes/[^/]+/contacts/5511987650011/conversations/${conv.id}/toggle_typing`),
      });
    await stack.sim.typing(stack.instanceName, from, 'composing');
    const on = await waitFor(() => typing()[0], 'typing on');
    expect(JSON.stringify(on.body)).toContain('"typing_status":"on"');
    await stack.sim.typing(stack.instanceName, from, 'paused');
    const off = await waitFor(() => typing()[1], 'typing off');
    expect(JSON.stringify(off.body)).toContain('"typing_status":"off"');
  });

  it('sent Chatwoot only requests its OpenAPI document allows (named exceptions aside)', async () => {
    expect(await invalidChatwootRequests(stack)).toEqual([]);
  });
});
