import { expect, test } from "@playwright/test";
import { createArborClient, type ErrorEnvelope, type Schema } from "../../sdk/typescript/src/index.ts";
import { signUp, unique } from "./helpers";

// The generated TypeScript client (sdk/typescript) against a real Arbor: every request below is
// made by the client from the OpenAPI document's types — no hand-written request code. The
// dashboard is used only to sign up and mint the API key, as a customer would.

test("the generated TypeScript client drives the seed's API flows", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  const id = unique();
  await signUp(page, { email: `sdk.${id}@example.com`, password: "sdk admin passphrase 2026", company: `SDK ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  const [account, application, environment] = new URL(page.url()).pathname.split("/").filter(Boolean);
  const minted = await page.request.post("/api/create_api_key", {
    data: { env: { account, application, environment }, form: { name: "SDK", expires: "never" } },
  });
  expect(minted.ok(), await minted.text()).toBe(true);
  const arbor = createArborClient({ baseUrl: baseURL as string, apiKey: (await minted.json()).key as string });

  // Create one identity: 201 with the typed identity.
  const created = await arbor.POST("/api/v1/identities", {
    body: { email: "ada.lovelace@example.com", first_name: "Ada", last_name: "Lovelace" },
  });
  expect(created.response.status).toBe(201);
  const ada = created.data as Schema<"IdentityCreated">;
  expect(ada.email).toBe("ada.lovelace@example.com");
  expect(ada.status).toBe("pending");

  // 200 rows, three bad (an invalid email, a duplicate inside the batch, an email already taken):
  // 207, the bad rows named by index and code, every other row created.
  const rows: Schema<"CreateIdentityRequest">[] = Array.from({ length: 200 }, (_, i) => ({
    email: `row.${i}.${id}@example.com`,
    first_name: "Row",
    last_name: `Number ${i}`,
  }));
  rows[17] = { ...rows[17]!, email: "not an email" };
  rows[42] = { ...rows[42]!, email: rows[41]!.email };
  rows[199] = { ...rows[199]!, email: "ada.lovelace@example.com" };
  const idempotencyKey = `sdk-${id}`;
  const bulk = await arbor.POST("/api/v1/identities/bulk-create", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: { identities: rows },
  });
  expect(bulk.response.status).toBe(207);
  const results = (bulk.data as Schema<"BulkCreateIdentitiesResponse">).results;
  const failed = results.filter((row) => row.status === "error").map((row) => [row.index, row.code]);
  expect(failed).toEqual([
    [17, "validation.invalid_input"],
    [42, "identities.email_taken"],
    [199, "identities.email_taken"],
  ]);
  expect((bulk.data as Schema<"BulkCreateIdentitiesResponse">).summary).toEqual({ total: 200, succeeded: 197, failed: 3 });

  // The same request with the same key: the stored answer, not a second run.
  const replay = await arbor.POST("/api/v1/identities/bulk-create", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: { identities: rows },
  });
  expect(replay.response.status).toBe(207);
  expect(replay.response.headers.get("Idempotent-Replayed")).toBe("true");
  expect(replay.data).toEqual(bulk.data);
  const listed = await arbor.GET("/api/v1/identities", { params: { query: { take: 1 } } });
  expect(listed.data?.pagination.item_count).toBe(198);

  // A permission, a role that grants it, an assignment at the root node (a new environment's
  // hierarchy is flat); evaluation is allowed, with the role and the path that grant it.
  await arbor.POST("/api/v1/permissions", { body: { permissions: [{ key: "report.read", description: "Read reports" }] } });
  const role = await arbor.POST("/api/v1/roles", { body: { name: "Analyst" } });
  expect(role.response.status, JSON.stringify(role.error)).toBe(201);
  const roleId = role.data!.id;
  const granted = await arbor.PUT("/api/v1/roles/{id}/permissions", {
    params: { path: { id: roleId } },
    body: { permission_keys: ["report.read"] },
  });
  expect(granted.response.status, JSON.stringify(granted.error)).toBe(200);
  const nodes = await arbor.GET("/api/v1/nodes", {});
  const root = nodes.data!.items.find((node) => node.parent_node_id === null)!;
  const assigned = await arbor.POST("/api/v1/assignments", {
    body: { identity_id: ada.id, role_id: roleId, node_id: root.id },
  });
  expect(assigned.response.status, JSON.stringify(assigned.error)).toBe(201);
  const decision = await arbor.POST("/api/v1/permissions/evaluate", {
    body: { identity_id: ada.id, permission: "report.read", node_id: root.id },
  });
  expect(decision.response.status, JSON.stringify(decision.error)).toBe(200);
  expect(decision.data?.allowed).toBe(true);
  expect(decision.data?.granting_roles.map((granting) => granting.name)).toEqual(["Analyst"]);
  expect(decision.data?.path).toEqual([root.id]);
  const denied = await arbor.POST("/api/v1/permissions/evaluate", {
    body: { identity_id: ada.id, permission: "report.delete", node_id: root.id },
  });
  expect(denied.data?.allowed).toBe(false);
  expect(denied.data?.denial_reason).toBeTruthy();

  // A conflict: the typed error envelope, matched on its stable code.
  const again = await arbor.POST("/api/v1/identities", {
    body: { email: "ada.lovelace@example.com", first_name: "Ada", last_name: "Lovelace" },
  });
  expect(again.response.status).toBe(409);
  const envelope: ErrorEnvelope = again.error!;
  expect(envelope.error.code).toBe("identities.email_taken");
  expect(envelope.error.message).toBe("Email already exists in this Application.");
});
