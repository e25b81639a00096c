// Arbor's REST API client: the types are generated from sdk/openapi.json (schema.d.ts, by
// openapi-typescript — never edit it by hand; run scripts/sdk) and requests are made by
// openapi-fetch, which checks every path, parameter, body and answer against those types.
//
//   const arbor = createArborClient({ baseUrl: "https://arbor.example.com", apiKey });
//   const { data, error } = await arbor.POST("/api/v1/identities", { body: { … } });

import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.d.ts";

export type { components, operations, paths };

/** A component of the document by name, e.g. `Schema<"Identity">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** The JSON error envelope every failure answers with; match on `error.code`. */
export type ErrorEnvelope = Schema<"ErrorEnvelope">;

export type ArborClient = Client<paths>;

export interface ArborClientOptions extends Omit<ClientOptions, "headers"> {
  /** The server, e.g. `https://arbor.example.com` (no trailing `/api/v1`). */
  baseUrl: string;
  /** An API key of the environment to act in (Integrations › API Keys). */
  apiKey: string;
  headers?: Record<string, string>;
}

export function createArborClient({ apiKey, headers, ...options }: ArborClientOptions): ArborClient {
  return createClient<paths>({ ...options, headers: { ...headers, "X-API-Key": apiKey } });
}
