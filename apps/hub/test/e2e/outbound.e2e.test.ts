// Issue 7, end to end: agent replies in the Chatwoot simulator reach the provider simulator through
// the per-contact lanes, asserted on what the provider simulator received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conversationFor,
  invalidChatwootRequests,
  type ProviderName,
  publicMessages,
  type Stack,
  sleep,
  startStack,
  waitFor,
} from './harness.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** A contact writes first, so the conversation exists and belongs to the instance. */
async function openConversation(stack: Stack, phone: string, text = 'olá') {
  await stack.sim.receive(stack.instanceName, { from: phone, text });
  const conv = await conversationFor(stack, phone.replace(/^\+/, ''));
  await waitFor(() => publicMessages(stack, conv.id).length >= 1, 'the contact message');
  return conv;
}

const sentTo = (stack: Stack, phoneDigits: string) => stack.sim.sent(stack.instanceName).filter((m) => m.to.includes(phoneDigits));

describe.each<ProviderName>(['uazapi', 'evolution'])('outbound through %s', (provider) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(provider, { worker: { leaseMs: 4000 } });
  }, 60_000);
  afterAll(() => stack?.close());

  it('sends text converted to WhatsApp formatting, quoting the message the agent replied to', async () => {
    const conv = await openConversation(stack, '+5511976540001', 'qual o horário?');
    const quoted = publicMessages(stack, conv.id)[0]!;
    const reply = await stack.chatwoot.agentReply(conv.id, { content: '**Das 8h às 18h**, _de segunda a sexta_.', inReplyTo: quoted.id });
    const [sent] = await waitFor(() => (sentTo(stack, '5511976540001').length ? sentTo(stack, '5511976540001') : null), 'the send');
    expect(sent).toMatchObject({ type: 'text', text: '*Das 8h às 18h*, _de segunda a sexta_.', replyToId: quoted.sourceId });
    // The provider id is recorded and the agent sees the ticks move.
    await stack.sim.ack(stack.instanceName, sent!.messageId, 'delivered');
    await waitFor(() => stack.chatwoot.messages(conv.id).find((m) => m.id === reply.id)?.status === 'delivered', 'delivered in Chatwoot');
    await stack.sim.ack(stack.instanceName, sent!.messageId, 'read');
    await waitFor(() => stack.chatwoot.messages(conv.id).find((m) => m.id === reply.id)?.status === 'read', 'read in Chatwoot');
  });

  it('sends each attachment as its type, in order, with the text as the first caption and audio as a voice note', async () => {
    const conv = await openConversation(stack, '+5511976540002');
    await stack.chatwoot.agentReply(conv.id, {
      content: 'segue',
      attachments: [
        { data: PNG, fileName: 'foto.png', contentType: 'image/png' },
        { data: Buffer.from('fake-mp4'), fileName: 'video.mp4', contentType: 'video/mp4' },
        { data: Buffer.from('%PDF-1.4'), fileName: 'contrato.pdf', contentType: 'application/pdf' },
        { data: Buffer.from('ID3-mp3'), fileName: 'audio.mp3', contentType: 'audio/mpeg' },
      ],
    });
    const sent = await waitFor(() => (sentTo(stack, '5511976540002').length === 4 ? sentTo(stack, '5511976540002') : null), 'four sends');
    expect(sent.map((m) => m.type)).toEqual(['image', 'video', 'document', 'voice']);
    expect(sent[0]?.caption).toBe('segue');
    expect(sent[2]?.fileName).toBe('contrato.pdf');
  });

  it('signs messages with the agent name when the instance asks for it', async () => {
    await stack.setBehaviour({ signMessages: true });
    try {
      const conv = await openConversation(stack, '+5511976540003');
      await stack.chatwoot.agentReply(conv.id, { content: 'posso ajudar?' });
      const [sent] = await waitFor(
        () => (sentTo(stack, '5511976540003').length ? sentTo(stack, '5511976540003') : null),
        'the signed send',
      );
      expect(sent?.text).toMatch(/^\*.+:\*\nposso ajudar\?$/);
    } finally {
      await stack.setBehaviour({ signMessages: false });
    }
  });

  it('sends to the group for group conversations', async () => {
    const group = '120363025246120001@g.us';
    await stack.sim.receive(stack.instanceName, { from: group, participant: '+5511976540004', text: 'alguém aí?' });
    const conv = await conversationFor(stack, group);
    await stack.chatwoot.agentReply(conv.id, { content: 'sim!' });
    const [sent] = await waitFor(
      () => (sentTo(stack, '120363025246120001').length ? sentTo(stack, '120363025246120001') : null),
      'the group send',
    );
    expect(sent).toMatchObject({ type: 'text', text: 'sim!' });
    expect(sent?.to).toContain('@g.us');
  });

  it('deletes on WhatsApp a message the agent deleted in Chatwoot', async () => {
    const conv = await openConversation(stack, '+5511976540005');
    const reply = await stack.chatwoot.agentReply(conv.id, { content: 'mensagem errada' });
    const [sent] = await waitFor(() => (sentTo(stack, '5511976540005').length ? sentTo(stack, '5511976540005') : null), 'the send');
    await stack.chatwoot.agentDeleteMessage(conv.id, reply.id);
    const deletion = await waitFor(
      () => stack.sim.sent(stack.instanceName).find((m) => m.type === 'delete' && m.targetId === sent?.messageId),
      'the delete',
    );
    expect(deletion.targetId).toBe(sent?.messageId);
  });

  it('shows typing before a text and marks the chat read when asked to', async () => {
    await stack.setBehaviour({ typingBeforeSendMs: 1200, markReadOnReply: true });
    try {
      const conv = await openConversation(stack, '+5511976540010', 'tem alguém?');
      const contactMessage = publicMessages(stack, conv.id)[0]!;
      await stack.chatwoot.agentReply(conv.id, { content: 'sim, aqui' });
      await waitFor(() => sentTo(stack, '5511976540010').length === 1, 'the send');
      const sendRequest = stack.sim.requests({ method: 'POST' }).find((r) => JSON.stringify(r.body).includes('sim, aqui'));
      expect(JSON.stringify(sendRequest?.body)).toContain('"delay":1200');
      const markRead = await waitFor(
        () => stack.sim.requests({ path: provider === 'uazapi' ? /\/message\/markread|\/chat\/read/ : /\/chat\/markMessageAsRead/ }).at(-1),
        'a mark-read call',
      );
      expect(JSON.stringify(markRead.body)).toContain(contactMessage.sourceId as string);
    } finally {
      await stack.setBehaviour({ typingBeforeSendMs: 0, markReadOnReply: false });
    }
  });

  it('relays agent typing as WhatsApp presence, and ignores typing of private notes', async () => {
    const conv = await openConversation(stack, '+5511976540006');
    const presence = () => stack.sim.requests({ path: provider === 'uazapi' ? /\/message\/presence/ : /\/chat\/sendPresence/ });
    const before = presence().length;
    await stack.chatwoot.agentTyping(conv.id, true, { isPrivate: true });
    await sleep(400);
    expect(presence().length).toBe(before);
    await stack.chatwoot.agentTyping(conv.id, true);
    await waitFor(() => presence().length > before, 'a presence call');
    expect(JSON.stringify(presence().at(-1)?.body)).toContain('5511976540006');
  });

  it('sends a burst of 50 agent messages to one contact in order', async () => {
    const conv = await openConversation(stack, '+5511976540007');
    for (let i = 0; i < 50; i++) await stack.chatwoot.agentReply(conv.id, { content: `parte ${i}` });
    const sent = await waitFor(
      () => (sentTo(stack, '5511976540007').length === 50 ? sentTo(stack, '5511976540007') : null),
      '50 sends',
      60_000,
    );
    expect(sent.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `parte ${i}`));
  });

  it('serves 20 contacts in parallel without one blocking another', async () => {
    await stack.deps.db
      .$unguarded('test')
      .instance.update({ where: { id: stack.instanceId }, data: { outboundMaxAttempts: 50, backoffBaseMs: 100, backoffMaxMs: 500 } });
    const phones = Array.from({ length: 20 }, (_, i) => `+55119765410${String(i).padStart(2, '0')}`);
    const convs = await Promise.all(phones.map((p) => openConversation(stack, p)));
    // The first contact's reply carries a file Chatwoot cannot serve yet: that lane retries, the other
    // nineteen must go through meanwhile.
    stack.chatwoot.fail({ path: /lento\.pdf/, method: 'GET', status: 503, times: 10_000 });
    await stack.chatwoot.agentReply(convs[0]!.id, {
      content: 'oi 0',
      attachments: [{ data: Buffer.from('%PDF-1.4'), fileName: 'lento.pdf', contentType: 'application/pdf' }],
    });
    await Promise.all(convs.slice(1).map((c, i) => stack.chatwoot.agentReply(c.id, { content: `oi ${i + 1}` })));
    for (const [i, phone] of phones.entries()) {
      if (i === 0) continue;
      await waitFor(() => sentTo(stack, phone.slice(1)).some((m) => m.text === `oi ${i}`), `the send to ${phone}`, 30_000);
    }
    expect(sentTo(stack, phones[0]!.slice(1))).toHaveLength(0);
    stack.chatwoot.clearFailures();
    const first = await waitFor(
      () => sentTo(stack, phones[0]!.slice(1)).find((m) => m.type === 'document'),
      'the first contact to catch up',
      30_000,
    );
    expect(first).toMatchObject({ caption: 'oi 0', fileName: 'lento.pdf' });
  });

  it('keeps order through provider failures, then marks the message failed with a note, and a retry sends it', async () => {
    const conv = await openConversation(stack, '+5511976540008');
    stack.sim.fail({ path: provider === 'uazapi' ? '/send/text' : /\/message\/sendText\//, method: 'POST', status: 500, times: 2 });
    await stack.chatwoot.agentReply(conv.id, { content: 'primeira' });
    await stack.chatwoot.agentReply(conv.id, { content: 'segunda' });
    const sent = await waitFor(
      () => (sentTo(stack, '5511976540008').length === 2 ? sentTo(stack, '5511976540008') : null),
      'both sends after the failures',
      30_000,
    );
    expect(sent.map((m) => m.text)).toEqual(['primeira', 'segunda']);
    for (const m of sent) await stack.sim.ack(stack.instanceName, m.messageId, 'delivered');
    await waitFor(
      () =>
        publicMessages(stack, conv.id)
          .filter((m) => m.messageType === 'outgoing')
          .every((m) => m.status === 'delivered'),
      'delivered in Chatwoot',
    );

    // Past the retry limit: the message fails in Chatwoot with a private note; the lane waits (block).
    await stack.deps.db
      .$unguarded('test')
      .instance.update({ where: { id: stack.instanceId }, data: { outboundMaxAttempts: 2, backoffBaseMs: 50, backoffMaxMs: 100 } });
    await sleep(5_100);
    stack.sim.fail({ path: provider === 'uazapi' ? '/send/text' : /\/message\/sendText\//, method: 'POST', status: 500, times: 1000 });
    const doomed = await stack.chatwoot.agentReply(conv.id, { content: 'terceira' });
    await waitFor(
      () => stack.chatwoot.messages(conv.id).find((m) => m.id === doomed.id)?.status === 'failed',
      'failed in Chatwoot',
      30_000,
    );
    const note = await waitFor(
      () => stack.chatwoot.messages(conv.id).find((m) => m.private && m.content?.includes('não foi entregue')),
      'the private note',
    );
    expect(note.content).toContain('Reprocessar');
    const dead = await waitFor(async () => {
      const page = await stack.lanes.listItems({
        tenantId: stack.tenantId,
        instanceId: stack.instanceId,
        direction: 'OUTBOUND',
        status: 'DEAD',
      });
      return page.rows.length ? page : null;
    }, 'the dead letter');
    const item = dead.rows[0]!;
    expect(item.lastError).toContain('500');

    stack.sim.clearFailures();
    await stack.lanes.retryItem({ tenantId: stack.tenantId, itemId: item.id });
    await waitFor(() => sentTo(stack, '5511976540008').some((m) => m.text === 'terceira'), 'the retried send', 30_000);
  });

  it('answers the Chatwoot webhook fast even when the provider takes 10 s', async () => {
    const conv = await openConversation(stack, '+5511976540009');
    // A first reply warms the route up, so what is measured is the steady state.
    await stack.chatwoot.agentReply(conv.id, { content: 'aquecendo' });
    await waitFor(() => sentTo(stack, '5511976540009').length === 1, 'the warm-up send');
    stack.sim.setLatency(10_000);
    try {
      await stack.chatwoot.agentReply(conv.id, { content: 'devagar' });
      const delivery = stack.chatwoot.deliveries({ event: 'message_created' }).at(-1)!;
      expect(delivery.status).toBe(200);
      expect(delivery.durationMs).toBeLessThan(100);
    } finally {
      stack.sim.setLatency(0);
    }
  });

  it('sent Chatwoot only requests its OpenAPI document allows (named exceptions aside)', async () => {
    expect(await invalidChatwootRequests(stack)).toEqual([]);
  });
});
