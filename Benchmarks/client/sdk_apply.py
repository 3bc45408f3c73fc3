#!/usr/bin/env python3
"""The baseline for the apply benchmark: a plain sequential script on Genesys's own Python SDK
(purecloudplatformclientv2) doing what `partyline apply` does for the generated world — per
conversation one read, a mute PATCH per customer (on behalf of the agent, the `/user/{userId}`
variant, as a client-credentials token has no user), and one confirming read. A 429 waits out
Retry-After (the SDK does not). Prints wall time and requests.

sdk_apply.py API_URL CONVERSATIONS MUTES_PER_CONVERSATION
"""
import sys, time
import PureCloudPlatformClientV2 as sdk
from PureCloudPlatformClientV2.rest import ApiException

url, c, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def uid(kind, n): return f"{kind:08x}-0000-4000-8000-{n:012x}"

requests = 0
def call(fn, *a, **k):
    global requests
    while True:
        requests += 1
        try:
            return fn(*a, **k)
        except ApiException as e:
            if e.status != 429: raise
            time.sleep(float((e.headers or {}).get("Retry-After", 1)))

start = time.time()
client = sdk.api_client.ApiClient()
client.host = url
sdk.configuration.host = url
# The SDK derives the login host from the API host (api. → login.); on loopback it is the same host.
client.get_conf_url = lambda kind, host: host
requests += 1
client = client.get_client_credentials_token("partyline-demo", "partyline-demo-secret")
api = sdk.ConversationsApi(client)
body = sdk.MediaParticipantRequest()
body.muted = True
for i in range(c):
    cid, agent = uid(2, i), uid(1, i)
    conv = call(api.get_conversations_call, cid)
    customers = [p.id for p in conv.participants if p.purpose == "customer"][:m]
    for pid in customers:
        call(api.patch_conversations_call_participant_user_user_id, cid, pid, agent, body)
    call(api.get_conversations_call, cid)
print(f"sdk: wall {time.time() - start:.1f} s, requests {requests}")
