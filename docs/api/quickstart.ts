import { createArborClient } from "@arbor-iam/client"; // sdk/typescript

const arbor = createArborClient({ baseUrl: "https://arbor.example.com", apiKey: process.env.ARBOR_API_KEY! });
const { data: ada, error } = await arbor.POST("/api/v1/identities", {
  body: { email: "ada@example.com", first_name: "Ada", last_name: "Lovelace" },
});
if (error) throw new Error(`${error.error.code}: ${error.error.message}`); // e.g. identities.email_taken
const { data: decision } = await arbor.POST("/api/v1/permissions/evaluate", {
  body: { identity_id: ada.id, permission: "report.read" },
});
console.log(decision?.allowed, decision?.path); // true, the nodes from the granting assignment down
