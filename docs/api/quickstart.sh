# Create an identity, then ask whether it may read reports (jq only to pick the id).
ARBOR=https://arbor.example.com
id=$(curl -sS -X POST "$ARBOR/api/v1/identities" \
  -H "X-API-Key: $ARBOR_API_KEY" -H "Content-Type: application/json" \
  -d '{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}' | jq -r .id)
curl -sS -X POST "$ARBOR/api/v1/permissions/evaluate" \
  -H "X-API-Key: $ARBOR_API_KEY" -H "Content-Type: application/json" \
  -d "{\"identity_id\":\"$id\",\"permission\":\"report.read\"}"
# → {"allowed":true,"path":[…],"granting_roles":[…],…} or a JSON error envelope:
#   {"error":{"status":409,"code":"identities.email_taken","message":"…"}}
