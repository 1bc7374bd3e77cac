// An independent ActivityPub peer built on Fedify, for Cove's tests on loopback only.
// One actor (alice), Fedify's own inbox verification and signing, NodeInfo naming the
// software it poses as, and a JSON control API under /_control/.
// Usage: node peer.mjs [PORT] [SOFTWARE]  (port 0 or nothing: pick a free port; software, or
// FEDIFY_PEER_SOFTWARE, defaults to "mastodon"; "": no NodeInfo at all).
// Prints "READY <port>" on stdout when listening; everything else goes to stderr.

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import { signRequest } from "@fedify/fedify/sig";
import {
  Accept,
  Activity,
  Announce,
  Block,
  Create,
  Delete,
  Endpoints,
  Flag,
  Follow,
  Like,
  Person,
  Undo,
  Update,
} from "@fedify/fedify/vocab";
import { configure, defaultTextFormatter } from "@logtape/logtape";

const HOST = "127.0.0.1";
const IDENTIFIER = "alice";
const RFC9421 = "rfc9421";
const CAVAGE = "draft-cavage-http-signatures-12";
const SPECS = [RFC9421, CAVAGE];
const FORGERIES = ["wrong-key", "tampered-body", "unsigned", "actor-mismatch"];
const ACTIVITY_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
];
const LOG_CAP = 2000;
const SNIPPET_BYTES = 1024;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
// What Mastodon 4 puts in the @context of a status it sends.
const MASTODON_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  {
    ostatus: "http://ostatus.org#",
    atomUri: "ostatus:atomUri",
    inReplyToAtomUri: "ostatus:inReplyToAtomUri",
    conversation: "ostatus:conversation",
    sensitive: "as:sensitive",
    toot: "http://joinmastodon.org/ns#",
    votersCount: "toot:votersCount",
  },
];
const VISIBILITIES = ["public", "unlisted", "private", "direct"];
// NodeInfo's rule for software names (Fedify refuses others).
const SOFTWARE_NAME = /^[a-z0-9-]+$/;
const SOFTWARE_VERSION = "0.0.0-cove-test-peer";
const NODEINFO_PATHS = ["/.well-known/nodeinfo", "/nodeinfo/2.1"];

// No test run may leave a peer behind: exit when the parent closes our stdin, and after a
// hard timeout whatever happens.
const HARD_TIMEOUT_S = Number(process.env.FEDIFY_PEER_TIMEOUT_S ?? 600);
setTimeout(() => {
  process.stderr.write(`peer: hard timeout of ${HARD_TIMEOUT_S}s reached, exiting\n`);
  process.exit(3);
}, HARD_TIMEOUT_S * 1000).unref();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr: (record) => process.stderr.write(defaultTextFormatter(record)),
  },
  loggers: [
    {
      category: "fedify",
      sinks: ["stderr"],
      lowestLevel: process.env.FEDIFY_PEER_LOG_LEVEL ?? "warning",
    },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// --- what the peer saw and did, read through GET /_control/received -----------------------

function newJournal() {
  return {
    accepted: [], // verified activities, as Fedify parsed them (activity.toJsonLd())
    rejected: [], // inbox POSTs Fedify refused
    inbox_posts: [], // every inbox POST, in order, whatever its outcome
    sent: [], // every delivery the peer made (control API and auto-accepts)
    requests: [], // every other request served (actor, key, webfinger, objects)
    outgoing: [], // every HTTP request the peer made (fetches, deliveries)
  };
}

let journal = newJournal();

function remember(list, entry) {
  list.push(entry);
  if (list.length > LOG_CAP) list.shift();
}

// Which HTTP signature spec a request claims by its headers; Fedify picks its verifier the
// same way (Signature-Input present: RFC 9421, otherwise draft-cavage).
function claimedSpec(headers) {
  if (headers.has("signature-input")) return RFC9421;
  if (headers.has("signature")) return CAVAGE;
  return null;
}

function claimedKeyId(headers) {
  const input = headers.get("signature-input");
  const sig = headers.get("signature");
  const match = (input ?? sig ?? "").match(/keyid="([^"]*)"/i);
  return match ? match[1] : null;
}

async function snippet(response) {
  try {
    const text = await response.clone().text();
    return text.length > SNIPPET_BYTES ? `${text.slice(0, SNIPPET_BYTES)}…` : text;
  } catch {
    return "";
  }
}

// Fedify calls the global fetch for everything it sends. Wrapping it lets a control call see
// each attempt (the double-knock of a delivery, the signed GET of a lookup) with its status.
const attemptsScope = new AsyncLocalStorage();
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = input instanceof Request ? input : null;
  const headers = new Headers(init?.headers ?? request?.headers ?? {});
  const attempt = {
    method: (init?.method ?? request?.method ?? "GET").toUpperCase(),
    url: String(request?.url ?? input),
    spec: claimedSpec(headers),
    key_id: claimedKeyId(headers),
    status: null,
    error: null,
  };
  remember(journal.outgoing, attempt);
  attemptsScope.getStore()?.push(attempt);
  try {
    const response = await realFetch(input, init);
    attempt.status = response.status;
    if (!response.ok) attempt.body = await snippet(response);
    return response;
  } catch (error) {
    attempt.error = String(error?.cause ?? error);
    throw error;
  }
};

// --- keys and the federation ----------------------------------------------------------------

// Fedify's generateCryptoKeyPair makes 4096-bit RSA keys; 2048 bits is what most servers use.
function generateRsaKeys() {
  return crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
}

const rsaKeys = await generateRsaKeys();
const ed25519Keys = await generateCryptoKeyPair("Ed25519");

const server = createServer((req, res) => {
  serve(req, res).catch((error) => {
    process.stderr.write(`peer: unhandled error serving ${req.method} ${req.url}: ${error?.stack ?? error}\n`);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal error in the test peer.");
  });
});
const requestedPort = Number(process.argv[2] ?? process.env.FEDIFY_PEER_PORT ?? 0);
await new Promise((resolve) => server.listen(requestedPort, HOST, resolve));
const port = server.address().port;
const origin = `http://${HOST}:${port}`;

// Settings survive a reset: they say what the peer is, not what it saw.
const settings = {
  authorizedFetch: false,
  software: parseSoftware(process.argv[3] ?? process.env.FEDIFY_PEER_SOFTWARE ?? "mastodon"),
};
let followers = new Map(); // actor id -> { id, inbox }
let statusCount = 0; // statuses alice posted through the control API
let objects = new Map(); // id under our origin -> JSON served at that id
let federation = buildFederation();

function aliceUri() {
  return new URL(`/users/${IDENTIFIER}`, origin);
}

// A software name for NodeInfo, or null for a server that publishes none (an unidentified
// peer). Exits at start on a bad name; the control API checks it before calling this.
function parseSoftware(value) {
  if (value == null || value === "") return null;
  if (!SOFTWARE_NAME.test(value)) {
    process.stderr.write(`peer: software must match ${SOFTWARE_NAME}, not ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return value;
}

function buildFederation() {
  const fed = createFederation({
    kv: new MemoryKvStore(),
    origin,
    // Loopback peers only: Fedify refuses private addresses unless told otherwise.
    allowPrivateAddress: true,
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== IDENTIFIER) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Alice (Fedify test peer)",
        summary: "An independent ActivityPub peer that Cove's tests drive.",
        url: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        manuallyApprovesFollowers: false,
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((pair) => pair.multikey),
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) =>
      identifier === IDENTIFIER ? [rsaKeys, ed25519Keys] : []
    )
    .authorize(async (ctx) => !settings.authorizedFetch || (await ctx.getSignedKey()) != null);

  fed.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    return {
      items: [...followers.values()].map((f) => ({ id: new URL(f.id), inboxId: new URL(f.inbox) })),
    };
  });

  fed.setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) =>
    identifier === IDENTIFIER ? { items: [] } : null
  );

  // Fedify serves /.well-known/nodeinfo pointing here. Servers such as Cove read
  // software.name to decide how to talk to us (a microblog gets boosts by object id).
  fed.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
    software: { name: settings.software ?? "unknown", version: SOFTWARE_VERSION },
    protocols: ["activitypub"],
    openRegistrations: false,
    usage: { users: { total: 1, activeHalfyear: 1, activeMonth: 1 }, localPosts: statusCount, localComments: 0 },
  }));

  const inbox = fed.setInboxListeners("/users/{identifier}/inbox", "/inbox");
  for (const type of [Create, Accept, Announce, Delete, Update, Like, Flag, Block, Activity]) {
    inbox.on(type, recordAccepted);
  }
  inbox.on(Follow, async (ctx, follow) => {
    await recordAccepted(ctx, follow);
    await acceptFollow(ctx, follow);
  });
  inbox.on(Undo, async (ctx, undo) => {
    await recordAccepted(ctx, undo);
    await forgetFollower(ctx, undo);
  });
  inbox.onUnverifiedActivity((_ctx, _activity, reason) => {
    const post = inboxScope.getStore();
    if (post != null) post.reason = describeUnverified(reason);
    // Returning nothing keeps Fedify's own 401.
  });
  inbox.onError((_ctx, error) => {
    const post = inboxScope.getStore();
    if (post != null) post.error = String(error);
  });
  return fed;
}

function describeUnverified(reason) {
  const keyId = reason.keyId?.href ?? null;
  if (reason.type === "keyFetchError") {
    const detail = "status" in reason.result ? `HTTP ${reason.result.status}` : String(reason.result.error);
    return { type: reason.type, key_id: keyId, detail };
  }
  return { type: reason.type, key_id: keyId };
}

// --- inbox ----------------------------------------------------------------------------------

const inboxScope = new AsyncLocalStorage();

async function recordAccepted(_ctx, activity) {
  const json = await activity.toJsonLd();
  journal.accepted.push(json);
  const post = inboxScope.getStore();
  if (post != null) post.outcome = "accepted";
}

async function acceptFollow(ctx, follow) {
  if (follow.objectId?.href !== aliceUri().href || follow.actorId == null) return;
  const follower = await follow.getActor(ctx);
  if (follower?.id == null || follower.inboxId == null) {
    process.stderr.write(`peer: cannot accept follow ${follow.id?.href}: follower has no inbox\n`);
    return;
  }
  followers.set(follower.id.href, { id: follower.id.href, inbox: follower.inboxId.href });
  const accept = new Accept({
    id: new URL(`/activities/${randomUUID()}`, origin),
    actor: aliceUri(),
    to: follower.id,
    object: follow,
  });
  // Send after answering the Follow, as servers with a queue do: the follower sees its
  // delivery succeed before the Accept arrives, and a slow follower cannot stall our inbox.
  setImmediate(() => {
    sendAsAlice(accept, follower.inboxId, "auto-accept").catch((error) =>
      process.stderr.write(`peer: auto-accept failed: ${error?.stack ?? error}\n`)
    );
  });
}

async function forgetFollower(ctx, undo) {
  let object;
  try {
    object = await undo.getObject(ctx);
  } catch {
    return;
  }
  if (object instanceof Follow && object.objectId?.href === aliceUri().href && undo.actorId != null) {
    followers.delete(undo.actorId.href);
  }
}

// Every POST to an inbox is logged with its outcome; Fedify's own response says whether it
// was verified (2xx) or refused (4xx), and onUnverifiedActivity adds the reason when it knows.
async function serveInbox(request) {
  const raw = await request.clone().text();
  let activity = null;
  try {
    activity = JSON.parse(raw);
  } catch {
    // Fedify answers 400 for this itself.
  }
  const post = {
    path: new URL(request.url).pathname,
    activity_id: typeof activity?.id === "string" ? activity.id : null,
    activity_type: activity?.type ?? null,
    spec: claimedSpec(request.headers),
    key_id: claimedKeyId(request.headers),
    proof: activity?.proof != null,
    ld_signature: activity?.signature != null,
    status: null,
    outcome: null,
    reason: null,
  };
  const response = await inboxScope.run(post, () => federation.fetch(request, { contextData: undefined }));
  post.status = response.status;
  if (response.status >= 400) {
    post.outcome = "rejected";
    post.body = await snippet(response);
    post.reason ??= { type: "response", detail: post.body };
    remember(journal.rejected, {
      status: post.status,
      reason: post.reason,
      spec: post.spec,
      key_id: post.key_id,
      activity_id: post.activity_id,
      activity_type: post.activity_type,
      path: post.path,
    });
  } else {
    // 202 without a listener call: Fedify saw this activity id before (it deduplicates).
    post.outcome ??= "duplicate";
  }
  post.raw = activity;
  remember(journal.inbox_posts, post);
  return response;
}

// --- sending --------------------------------------------------------------------------------

function aliceContext() {
  return federation.createContext(new URL(origin), undefined);
}

async function aliceKeys(ctx) {
  const pairs = await ctx.getActorKeyPairs(IDENTIFIER);
  return pairs.find((pair) => pair.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
}

// The JSON the control API was given, completed the way any sender would: a context, an id
// under our origin, and alice as the actor when none is given.
function completeActivity(json) {
  const activity = { ...json };
  activity["@context"] ??= ACTIVITY_CONTEXT;
  activity.id ??= `${origin}/activities/${randomUUID()}`;
  activity.actor ??= aliceUri().href;
  return activity;
}

function actorOf(json) {
  const actor = json.actor;
  return typeof actor === "string" ? actor : actor?.id ?? null;
}

function keep(json) {
  for (const item of [json, json.object]) {
    if (item != null && typeof item === "object" && typeof item.id === "string" && item.id.startsWith(`${origin}/`)) {
      objects.set(item.id, { "@context": json["@context"], ...item });
    }
  }
}

// Fedify's own delivery path: an Object Integrity Proof (Ed25519), a Linked Data Signature
// (RSA) and an HTTP signature, RFC 9421 first and draft-cavage on 400/401, remembered per
// origin in the KV store.
async function sendAsAlice(activity, inbox, trigger) {
  const ctx = aliceContext();
  const attempts = [];
  let error = null;
  await attemptsScope.run(attempts, async () => {
    try {
      await ctx.sendActivity({ identifier: IDENTIFIER }, { id: inbox, inboxId: inbox }, activity);
    } catch (e) {
      error = String(e?.message ?? e).split("\n")[0];
    }
  });
  const posts = attempts.filter((a) => a.method === "POST");
  // The last POST to the inbox, or, after a redirect, the last POST at all.
  const last = posts.filter((a) => a.url === inbox.href).at(-1) ?? posts.at(-1);
  const result = {
    status: last?.status ?? 0,
    spec: last?.spec ?? null,
    attempts,
    activity_id: activity.id?.href ?? null,
    proofs: true,
    error,
  };
  remember(journal.sent, { trigger, inbox: inbox.href, type: activity.constructor.name, ...result });
  return result;
}

// One request, signed with the given spec only, carrying the activity with no proofs: what
// a test wants when it asks whether Cove verifies that spec.
async function sendWithSpec(json, inbox, spec) {
  const ctx = aliceContext();
  const key = await aliceKeys(ctx);
  const body = JSON.stringify(json);
  const request = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body,
  });
  const signed = await signRequest(request, key.privateKey, key.keyId, { spec });
  const attempts = [];
  const result = await post(signed, attempts);
  const outcome = { ...result, spec, attempts, activity_id: json.id, proofs: false };
  remember(journal.sent, { trigger: "control", inbox: inbox.href, type: json.type, ...outcome });
  return outcome;
}

async function post(request, attempts) {
  return await attemptsScope.run(attempts, async () => {
    try {
      const response = await fetch(request, { redirect: "manual" });
      return { status: response.status, body: response.ok ? undefined : await snippet(response), error: null };
    } catch (error) {
      return { status: 0, error: String(error?.cause ?? error) };
    }
  });
}

function tamper(json) {
  const changed = structuredClone(json);
  if (changed.object != null && typeof changed.object === "object" && "content" in changed.object) {
    changed.object.content = `${changed.object.content} (changed after signing)`;
  } else {
    changed.summary = "changed after signing";
  }
  return changed;
}

async function sendForged(json, inbox, how, spec) {
  const ctx = aliceContext();
  const alice = await aliceKeys(ctx);
  const headers = { "Content-Type": "application/activity+json", Accept: "application/activity+json" };
  const body = JSON.stringify(json);
  const request = new Request(inbox, { method: "POST", headers, body });
  let forged;
  if (how === "unsigned") {
    forged = request;
  } else if (how === "wrong-key") {
    // A key that is not alice's, presented under alice's keyId.
    const stranger = await generateRsaKeys();
    forged = await signRequest(request, stranger.privateKey, alice.keyId, { spec });
  } else if (how === "tampered-body") {
    const signed = await signRequest(request, alice.privateKey, alice.keyId, { spec });
    forged = new Request(inbox, { method: "POST", headers: signed.headers, body: JSON.stringify(tamper(json)) });
  } else {
    // actor-mismatch: a valid signature by alice on an activity that names another actor.
    forged = await signRequest(request, alice.privateKey, alice.keyId, { spec });
  }
  const attempts = [];
  const result = await post(forged, attempts);
  const outcome = { ...result, spec: how === "unsigned" ? null : spec, how, activity_id: json.id };
  remember(journal.sent, { trigger: "forged", inbox: inbox.href, type: json.type, ...outcome });
  return outcome;
}

async function lookup(url) {
  const ctx = aliceContext();
  const attempts = [];
  const loader = await ctx.getDocumentLoader({ identifier: IDENTIFIER });
  return await attemptsScope.run(attempts, async () => {
    try {
      const { document } = await loader(url);
      const last = attempts.at(-1);
      return { status: last?.status ?? 200, spec: last?.spec ?? null, document, attempts };
    } catch (error) {
      const last = attempts.at(-1);
      return {
        status: last?.status ?? 0,
        spec: last?.spec ?? null,
        error: String(error?.message ?? error),
        attempts,
      };
    }
  });
}

// Without `spec`, Fedify's own delivery path (it re-serialises the activity and adds
// proofs); with one, the JSON exactly as given, signed with that spec only.
async function deliver(json, inbox, spec) {
  keep(json);
  if (spec != null) return await sendWithSpec(json, inbox, spec);
  const ctx = aliceContext();
  const activity = await Activity.fromJsonLd(json, {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
  });
  return await sendAsAlice(activity, inbox, "control");
}

// --- statuses, shaped as Mastodon 4 shapes them -------------------------------------------

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Mastodon links each mention in the content as an h-card, then the text.
function statusContent(text, mentions) {
  const links = mentions.map(({ href, name }) => {
    const user = name.replace(/^@/, "").split("@")[0];
    return `<span class="h-card" translate="no"><a href="${escapeHtml(href)}" class="u-url mention">@<span>${escapeHtml(user)}</span></a></span>`;
  });
  return `<p>${[...links, escapeHtml(text)].join(" ")}</p>`;
}

// Mastodon's addressing (ActivityPub::TagManager#to and #cc): mentioned actors go in cc,
// except in a direct message, which is addressed to them alone.
function statusAudience(visibility, mentioned) {
  const followersUri = `${aliceUri().href}/followers`;
  switch (visibility) {
    case "public":
      return { to: [PUBLIC], cc: [followersUri, ...mentioned] };
    case "unlisted":
      return { to: [followersUri], cc: [PUBLIC, ...mentioned] };
    case "private":
      return { to: [followersUri], cc: mentioned };
    default:
      return { to: mentioned, cc: [] };
  }
}

function parseStatus(body) {
  if (typeof body.text !== "string") throw new BadRequest("text must be a string");
  const visibility = body.visibility ?? "public";
  if (!VISIBILITIES.includes(visibility)) throw new BadRequest(`visibility must be one of ${VISIBILITIES.join(", ")}`);
  const mentions = body.mentions ?? [];
  if (!Array.isArray(mentions)) throw new BadRequest("mentions must be a list of {href, name}");
  for (const mention of mentions) {
    parseUrl(mention?.href, "mentions[].href");
    if (typeof mention.name !== "string") throw new BadRequest("mentions[].name must be a string");
  }
  const inReplyTo = body.in_reply_to == null ? null : parseUrl(body.in_reply_to, "in_reply_to").href;
  return { text: body.text, visibility, mentions, inReplyTo };
}

// Mastodon's snowflake ids: milliseconds, then a sequence, so ids never repeat in a process.
let statusSequence = 0;
function statusNumber() {
  statusSequence = (statusSequence + 1) % 65536;
  return (BigInt(Date.now()) * 65536n + BigInt(statusSequence)).toString();
}

// Create{Note} as Mastodon sends a status: ids under /users/alice/statuses/, its OStatus
// leftovers, nulls included, mentions as Mention tags and h-card links.
function mastodonStatus({ text, visibility, mentions, inReplyTo }) {
  const number = statusNumber();
  const id = `${aliceUri().href}/statuses/${number}`;
  const published = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const { to, cc } = statusAudience(visibility, mentions.map((m) => m.href));
  const content = statusContent(text, mentions);
  return {
    "@context": MASTODON_CONTEXT,
    id: `${id}/activity`,
    type: "Create",
    actor: aliceUri().href,
    published,
    to,
    cc,
    object: {
      id,
      type: "Note",
      summary: null,
      inReplyTo,
      published,
      url: `${origin}/@${IDENTIFIER}/${number}`,
      attributedTo: aliceUri().href,
      to,
      cc,
      sensitive: false,
      atomUri: id,
      inReplyToAtomUri: inReplyTo,
      conversation: `tag:${HOST}:${port},${published.slice(0, 10)}:objectId=${number}:objectType=Conversation`,
      content,
      contentMap: { en: content },
      attachment: [],
      tag: mentions.map(({ href, name }) => ({ type: "Mention", href, name })),
    },
  };
}

// --- the control API ------------------------------------------------------------------------

class BadRequest extends Error {}

function parseUrl(value, field) {
  try {
    return new URL(value);
  } catch {
    throw new BadRequest(`${field} must be an absolute URL`);
  }
}

function parseSpec(value, fallback) {
  if (value == null) return fallback;
  if (!SPECS.includes(value)) throw new BadRequest(`spec must be one of ${SPECS.join(", ")}`);
  return value;
}

function parseActivity(value) {
  if (value == null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequest("activity must be a JSON object");
  }
  return completeActivity(value);
}

const controlRoutes = {
  "POST /_control/lookup": async (body) => lookup(parseUrl(body.url, "url").href),

  "POST /_control/deliver": async (body) => {
    const inbox = parseUrl(body.inbox, "inbox");
    const json = parseActivity(body.activity);
    if (actorOf(json) !== aliceUri().href) throw new BadRequest(`activity.actor must be ${aliceUri().href}`);
    return await deliver(json, inbox, parseSpec(body.spec, null));
  },

  "POST /_control/status": async (body) => {
    const inbox = parseUrl(body.inbox, "inbox");
    const create = mastodonStatus(parseStatus(body));
    const result = await deliver(create, inbox, parseSpec(body.spec, null));
    statusCount += 1;
    return { ...result, note: create.object };
  },

  "POST /_control/deliver_forged": async (body) => {
    const inbox = parseUrl(body.inbox, "inbox");
    const json = parseActivity(body.activity);
    const how = body.how;
    if (!FORGERIES.includes(how)) throw new BadRequest(`how must be one of ${FORGERIES.join(", ")}`);
    if (how === "actor-mismatch" && actorOf(json) === aliceUri().href) {
      throw new BadRequest("actor-mismatch needs an activity.actor other than alice");
    }
    if (how !== "actor-mismatch" && actorOf(json) !== aliceUri().href) {
      throw new BadRequest(`activity.actor must be ${aliceUri().href}`);
    }
    return await sendForged(json, inbox, how, parseSpec(body.spec, CAVAGE));
  },

  "GET /_control/received": async () => ({
    ...journal,
    followers: [...followers.keys()],
  }),

  "POST /_control/reset": async () => {
    journal = newJournal();
    followers = new Map();
    objects = new Map();
    // A fresh KV store forgets cached keys and documents, remembered specs and seen ids.
    federation = buildFederation();
    return { ok: true };
  },

  "POST /_control/config": async (body) => {
    if ("software" in body) {
      const name = body.software;
      if (name !== null && (typeof name !== "string" || !SOFTWARE_NAME.test(name))) {
        throw new BadRequest(`software must be null or match ${SOFTWARE_NAME}`);
      }
      settings.software = name;
    }
    if ("authorized_fetch" in body) settings.authorizedFetch = Boolean(body.authorized_fetch);
    return { authorized_fetch: settings.authorizedFetch, software: settings.software };
  },

  "GET /_control/info": async () => ({
    base: origin,
    actor_id: aliceUri().href,
    inbox: new URL(`/users/${IDENTIFIER}/inbox`, origin).href,
    shared_inbox: new URL("/inbox", origin).href,
    key_ids: (await aliceContext().getActorKeyPairs(IDENTIFIER)).map((p) => p.keyId.href),
    software: settings.software,
    node: process.version,
  }),
};

async function serveControl(req, path) {
  const route = controlRoutes[`${req.method} ${path}`];
  if (route == null) return jsonResponse(404, { error: `no control route ${req.method} ${path}` });
  let body = {};
  if (req.method === "POST") {
    const text = (await readBody(req)).toString("utf8");
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      return jsonResponse(400, { error: "the body must be JSON" });
    }
  }
  try {
    return jsonResponse(200, await route(body));
  } catch (error) {
    if (error instanceof BadRequest) return jsonResponse(400, { error: error.message });
    process.stderr.write(`peer: control ${path} failed: ${error?.stack ?? error}\n`);
    return jsonResponse(500, { error: String(error?.message ?? error) });
  }
}

// --- HTTP plumbing --------------------------------------------------------------------------

function jsonResponse(status, value, type = "application/json") {
  return new Response(JSON.stringify(value), { status, headers: { "Content-Type": type } });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function isInboxPath(path) {
  return path === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(path);
}

// Requests keep the Host they came with, so signatures over @authority or host verify as the
// sender computed them; the ids the peer mints always use `origin`.
async function toRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${port}`}`);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, { method: req.method, headers, body: hasBody ? await readBody(req) : undefined });
}

async function respond(res, response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

async function serve(req, res) {
  const path = new URL(req.url, origin).pathname;
  if (path.startsWith("/_control/")) {
    await respond(res, await serveControl(req, path));
    return;
  }
  if (settings.software == null && NODEINFO_PATHS.includes(path)) {
    // A server that does not say what it runs.
    remember(journal.requests, { method: req.method, path, accept: req.headers.accept ?? null, status: 404 });
    await respond(res, jsonResponse(404, { error: "no NodeInfo here" }));
    return;
  }
  const request = await toRequest(req);
  if (req.method === "POST" && isInboxPath(path)) {
    await respond(res, await serveInbox(request));
    return;
  }
  const stored = req.method === "GET" ? objects.get(`${origin}${path}`) : undefined;
  const response = stored != null
    ? jsonResponse(200, stored, "application/activity+json")
    : await federation.fetch(request, { contextData: undefined });
  remember(journal.requests, {
    method: req.method,
    path,
    accept: req.headers.accept ?? null,
    spec: claimedSpec(request.headers),
    key_id: claimedKeyId(request.headers),
    status: response.status,
  });
  await respond(res, response);
}

process.stdout.write(`READY ${port}\n`);
