#!/usr/bin/env bash
# A management session with curl against `npm start` (local tokens from .dev.vars.example):
# create → list → patch → regenerate the signing key → delete.
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:${PORT:-8787}}"
AUTH="authorization: Bearer ${ADMIN_TOKEN:-dev-admin-token}"
show() { echo "\$ $*"; "$@"; echo; }

hook=$(curl -s -X POST "$BASE/api/hooks" -H "$AUTH" -H 'content-type: application/json' \
  -d '{"name":"crm-sync","events":["PostRegister","User.Deleted"],"config":{"url":"https://example.com/hook","headers":{"x-api-key":"k"}}}')
echo "create: $hook"
id=$(echo "$hook" | sed -E 's/.*"id":"([0-9a-z]{21})".*/\1/')
show curl -s -i "$BASE/api/hooks?page=1&page_size=5" -H "$AUTH"
show curl -s "$BASE/api/hooks?includeExecutionStats=true" -H "$AUTH"
show curl -s -X PATCH "$BASE/api/hooks/$id" -H "$AUTH" -H 'content-type: application/json' -d '{"name":"crm-sync-v2","enabled":false}'
show curl -s -X PATCH "$BASE/api/hooks/$id/signing-key" -H "$AUTH" -H 'content-type: application/json' -d '{"gracePeriodSeconds":3600}'
show curl -s -X DELETE "$BASE/api/hooks/$id" -H "$AUTH" -w 'HTTP %{http_code}\n'
show curl -s "$BASE/api/hooks/$id" -H "$AUTH"
