// Calls the contract forbids. Each must be a type error: if the generated types went loose (an `any`, a
// missing schema), the `@ts-expect-error` lines stop erring and tsc fails on them, so the journey's
// type check cannot pass by checking nothing.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

const api = createClient<paths>({ baseUrl: "http://localhost" });

export async function forbidden(
  exchange: components["schemas"]["ExchangeOut"],
  copy: components["schemas"]["ExportOut"],
): Promise<void> {
  // @ts-expect-error minutes are integers, not text
  await api.POST("/v1/exchanges/{exchange_id}/confirm", { params: { path: { exchange_id: 1 } }, body: { minutes: "60" } });
  // @ts-expect-error there is no such path
  await api.GET("/v1/exchanges/{exchange_id}/settle", { params: { path: { exchange_id: 1 } } });
  // @ts-expect-error a request needs a title
  await api.POST("/v1/requests", { body: { antenna: "elsene", category: "shopping" } });
  // @ts-expect-error an exchange's state is one of its enum's values
  const state: typeof exchange.state = "finished";
  console.log(state);
  // @ts-expect-error the export's ledger is a statement (balance and items), not the old untyped shape
  console.log(copy.ledger.balance_minutes);
  // @ts-expect-error an audit action is one of the enum's values, never a route
  const action: components["schemas"]["AuditEntryOut"]["action"] = "POST /v1/requests";
  console.log(action);
}
