/**
 * `npm run fake:line`: LINE on your machine, for trying LINE Login and the chat without LINE.
 * Starts the test fake on 127.0.0.1 with fixed development credentials, prints the settings to
 * start the platform with, then sends what you type as LINE messages from a demo user to the
 * gateway's webhook (signed as LINE signs them) and prints the bot's replies.
 *   postback:action=start   sends a postback instead of a text message;  follow  a follow event.
 */
import { createInterface } from 'node:readline/promises';
import { startFakeLine } from '../tests/support/fake-line.js';

const port = Number(process.env.FAKE_LINE_PORT ?? 4099);
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000';
const demo = { sub: 'U0123456789abcdef0123456789abcdef', name: 'LINE デモ' };
const fake = await startFakeLine({
  port,
  login: { channelId: '1234567890', channelSecret: 'dev-line-login-channel-secret' },
  messaging: { channelSecret: 'dev-line-messaging-channel-secret', channelAccessToken: 'dev-line-channel-access-token' },
  defaultUser: demo,
});

const settings = {
  LINE_LOGIN_CHANNEL_ID: fake.login.channelId,
  LINE_LOGIN_CHANNEL_SECRET: fake.login.channelSecret,
  LINE_LOGIN_CALLBACK_URL: `${gateway}/api/auth/line/callback`,
  LINE_CHANNEL_SECRET: fake.messaging.channelSecret,
  LINE_CHANNEL_ACCESS_TOKEN: fake.messaging.channelAccessToken,
  LINE_AUTH_URL: fake.url,
  LINE_API_URL: fake.url,
  FRONTEND_URL: `${gateway}/graphiql`,
  PUBLIC_URL: gateway,
};
console.log(`Fake LINE on ${fake.url} (demo user ${demo.name}, ${demo.sub}). Start the platform with:

  ${Object.entries(settings)
    .map(([k, v]) => `${k}='${v}'`)
    .join(' \\\n  ')} \\
  npm start

Then open ${gateway}/api/auth/line/login in a browser (you are signed in as the demo user and land
on GraphiQL), and type here what the demo user says in the chat: 開始, 記録, セット ベンチプレス 10 60,
今日, 終了, or postback:action=today. Ctrl+D to stop.
`);

async function send(line: string) {
  const event =
    line === 'follow'
      ? fake.events.follow(demo.sub)
      : line.startsWith('postback:')
        ? fake.events.postback(demo.sub, line.slice(9))
        : fake.events.text(demo.sub, line);
  const body = JSON.stringify(fake.events.batch(event));
  const seen = fake.replies.length;
  const res = await fetch(`${gateway}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-line-signature': fake.sign(body) },
    body,
  });
  if (res.status !== 200) return console.log(`webhook answered ${res.status}: ${await res.text()}`);
  try {
    const [reply] = (await fake.waitForReplies(seen + 1, 10_000)).slice(seen);
    for (const message of reply.messages) {
      if (message.type === 'text') console.log(`bot> ${message.text}`);
      else console.log(`bot> [${message.type}] ${message.altText ?? ''}`);
      const buttons = message.quickReply?.items?.map((i: { action: { label: string } }) => i.action.label);
      if (buttons?.length) console.log(`     buttons: ${buttons.join(' | ')}`);
    }
  } catch {
    console.log('no reply within 10 s (is the platform started with the settings above?)');
  }
}

const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });
rl.prompt();
for await (const line of rl) {
  if (line.trim()) await send(line.trim());
  rl.prompt();
}
await fake.close();
