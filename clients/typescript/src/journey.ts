// A member's journey through the BuurtBank API, written against the types openapi-typescript generates
// from the live /openapi.json (src/schema.d.ts). tests/api/test_typescript_client.py regenerates the types
// and type-checks this file with `tsc --strict`; no casts and no `any`, so a contract change that breaks a
// client breaks this file.
import createClient from "openapi-fetch";
import type { Client } from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
type Api = Client<paths>;

/** The answer's body, or an Error carrying the problem's title and detail. */
function expect<T>(answer: { data?: T; error?: Schemas["Problem"] | unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${answer.response.status}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

export interface Member {
  api: Api;
  me: Schemas["MeOut"];
}

export async function registerAndLogIn(
  baseUrl: string,
  email: string,
  password: string,
  displayName: string,
): Promise<Member> {
  const anonymous = createClient<paths>({ baseUrl, headers: { "Accept-Language": "nl" } });
  const registered = expect(
    await anonymous.POST("/v1/auth/register", {
      body: { email, password, display_name: displayName },
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    }),
  );
  // The token endpoint takes the OAuth2 password form, as its schema says.
  const token = expect(
    await anonymous.POST("/v1/auth/token", {
      body: { username: email, password },
      bodySerializer: (form) => new URLSearchParams({ username: form.username, password: form.password }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  const tokenType: "bearer" = token.token_type;
  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token.access_token}`, "Accept-Language": registered.language },
  });
  const me = expect(await api.PATCH("/v1/me", { body: { location: { postcode: "1000" }, language: "fr" } }));
  console.log(`${tokenType} token for member ${me.id}, located at ${me.location?.postcode ?? "?"}`);
  return { api, me };
}

export async function joinAntenna(member: Member, slug: string): Promise<Schemas["MembershipOut"]> {
  const antennas = expect(await member.api.GET("/v1/antennas"));
  const antenna = antennas.find((a) => a.slug === slug);
  if (antenna === undefined) {
    throw new Error(`no antenna ${slug}`);
  }
  return expect(await member.api.POST("/v1/antennas/{slug}/memberships", { params: { path: { slug: antenna.slug } } }));
}

/** Helper offers, receiver asks; the receiver finds the offer nearby and asks for it; both accept. */
export async function exchangeHelp(
  helper: Member,
  receiver: Member,
  slug: string,
): Promise<{ exchange: Schemas["ExchangeOut"]; balance: number; unread: number }> {
  const categories = expect(await receiver.api.GET("/v1/categories"));
  const category = categories[0]?.key ?? "shopping";
  const request = expect(
    await receiver.api.POST("/v1/requests", {
      body: { antenna: slug, category, title: "Boodschappen doen", minutes: 60 },
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    }),
  );
  const offer = expect(
    await helper.api.POST("/v1/offers", {
      body: { antenna: slug, category, title: "Ik help met boodschappen", availability: ["mon-morning"] },
    }),
  );
  const nearby = expect(
    await receiver.api.GET("/v1/offers", { params: { query: { antenna: slug, category, near_km: 2, limit: 20 } } }),
  );
  const found = nearby.items.find((item) => item.id === offer.id);
  if (found === undefined) {
    throw new Error(`offer ${offer.id} not listed near the receiver`);
  }
  const band: string | null = found.distance_band;
  console.log(`request ${request.id} (${request.minutes ?? 0} min) meets offer ${found.id}, ${band ?? "?"}`);

  const proposal = expect(
    await receiver.api.POST("/v1/offers/{offer_id}/respond", {
      params: { path: { offer_id: found.id } },
      body: { message: "Dag! Maandag past mij goed." },
    }),
  );
  const mine = expect(await helper.api.GET("/v1/me/proposals", { params: { query: { limit: 50 } } }));
  const waiting = mine.items.find((p) => p.id === proposal.id);
  if (waiting === undefined) {
    throw new Error(`proposal ${proposal.id} is not waiting for the helper`);
  }
  for (const member of [helper, receiver]) {
    expect(await member.api.POST("/v1/proposals/{proposal_id}/accept", { params: { path: { proposal_id: waiting.id } } }));
  }
  const exchanges = expect(await helper.api.GET("/v1/me/exchanges", { params: { query: { status: "planned" } } }));
  const planned = exchanges.items[0];
  if (planned === undefined) {
    throw new Error("no planned exchange");
  }
  let exchange: Schemas["ExchangeOut"] = planned;
  for (const member of [helper, receiver]) {
    exchange = expect(
      await member.api.POST("/v1/exchanges/{exchange_id}/confirm", {
        params: { path: { exchange_id: planned.id }, header: { "Idempotency-Key": crypto.randomUUID() } },
        body: { minutes: 60 },
      }),
    );
  }
  const ledger = expect(await helper.api.GET("/v1/me/ledger", { params: { query: { limit: 10 } } }));
  const lines: number[] = ledger.items.map((line) => line.minutes);
  console.log(`exchange ${exchange.id} is ${exchange.state}; ledger lines ${lines.join(", ")}`);
  const notifications = expect(await receiver.api.GET("/v1/me/notifications", { params: { query: { unread: true } } }));
  const messages: string[] = notifications.items.map((n) => n.message);
  console.log(messages.join("\n"));
  return { exchange, balance: ledger.balance, unread: notifications.items.length };
}

export async function memberJourney(baseUrl: string): Promise<number> {
  const helper = await registerAndLogIn(baseUrl, "helper@example.org", "correct horse battery", "Hanne");
  const receiver = await registerAndLogIn(baseUrl, "receiver@example.org", "correct horse battery", "Rachid");
  for (const member of [helper, receiver]) {
    const membership = await joinAntenna(member, "brussel-centrum");
    console.log(`membership ${membership.id}: ${membership.status}`);
  }
  // A moderator approves both memberships here (see the moderator's journey); then:
  const { balance } = await exchangeHelp(helper, receiver, "brussel-centrum");
  const copy = await exportOf(helper);
  console.log(`${copy.exchanges.length} exchange(s) exported, balance ${copy.ledger.balance}`);
  return balance;
}

/** The member's own copy of their data: every part typed with the model of the endpoint that shows it. */
export async function exportOf(member: Member): Promise<Schemas["ExportOut"]> {
  const copy = expect(await member.api.GET("/v1/me/export"));
  const profile: Schemas["MeOut"] = copy.profile;
  const settled: Schemas["ExchangeOut"][] = copy.exchanges.filter((e) => e.state === "settled");
  const entries: Schemas["StatementLine"][] = copy.ledger.items;
  const written: string[] = copy.neighbours.conversations.flatMap((c) => c.messages.map((m) => m.text));
  const actions: Schemas["AuditAction"][] = copy.audit_about_me.map((entry) => entry.action);
  console.log(`${profile.display_name}: ${settled.length} settled, ${entries.length} entries, ${written.length} messages`);
  console.log(`audit: ${actions.join(", ")}; background kept: ${copy.background === null ? "no" : "yes"}`);
  return copy;
}
