import os, requests  # any HTTP library: the API is plain JSON over HTTPS

arbor = requests.Session()
arbor.headers["X-API-Key"] = os.environ["ARBOR_API_KEY"]
base = "https://arbor.example.com/api/v1"

created = arbor.post(f"{base}/identities", json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
if not created.ok:
    raise RuntimeError(created.json()["error"]["code"])  # e.g. identities.email_taken
decision = arbor.post(f"{base}/permissions/evaluate", json={"identity_id": created.json()["id"], "permission": "report.read"}).json()
print(decision["allowed"], decision["path"])
