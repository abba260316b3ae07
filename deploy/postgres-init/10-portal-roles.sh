#!/usr/bin/env bash
# Creates the portal's two roles and its database, on the first start of the PostgreSQL container
# (the official image runs /docker-entrypoint-initdb.d/*.sh once, as the superuser).
#
#   DATABASE_OWNER_URL  the role that owns the tables and runs migrations
#   DATABASE_URL        the role the portal connects as: it owns nothing and has no BYPASSRLS, so
#                       row-level security binds every query it makes (members/rls.py grants it
#                       row access after each migrate)
#
# Both URLs are the ones the portal itself reads (.env), so the passwords live in one place.
# Passwords in the URLs must not need URL-encoding (letters, digits, - and _).
# Run by hand against another server with PGHOST/PGUSER set; it is safe to run twice.
set -euo pipefail

# parse_url URL -> sets url_user, url_password, url_db
parse_url() {
    local rest="${1#*://}"           # user:password@host:port/db?options
    local credentials="${rest%%@*}"
    local location="${rest#*@}"
    url_user="${credentials%%:*}"
    url_password=""
    if [[ "$credentials" == *:* ]]; then url_password="${credentials#*:}"; fi
    url_db="${location#*/}"
    url_db="${url_db%%\?*}"
    if [[ -z "$url_user" || -z "$url_db" || "$location" != */* || "$1" != *://*@* ]]; then
        echo "portal init: cannot read a user and database from a database URL" >&2
        exit 1
    fi
}

: "${DATABASE_OWNER_URL:?DATABASE_OWNER_URL must be set for the db service (see .env.example)}"
: "${DATABASE_URL:?DATABASE_URL must be set for the db service (see .env.example)}"

parse_url "$DATABASE_OWNER_URL"
owner_user="$url_user" owner_password="$url_password" database="$url_db"
parse_url "$DATABASE_URL"
app_user="$url_user" app_password="$url_password"
if [[ "$url_db" != "$database" ]]; then
    echo "portal init: DATABASE_URL and DATABASE_OWNER_URL must name the same database" >&2
    exit 1
fi
if [[ "$app_user" == "$owner_user" ]]; then
    echo "portal init: the application role must not be the owner (row-level security)" >&2
    exit 1
fi

# psql variables (:'name' quotes a literal, :"name" an identifier), so no value is pasted into SQL.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-${PGUSER:-postgres}}" \
    --dbname postgres \
    -v owner="$owner_user" -v owner_password="$owner_password" \
    -v app="$app_user" -v app_password="$app_password" -v database="$database" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB', :'app')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password')
WHERE :'owner_password' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password')
WHERE :'app_password' <> '' \gexec
-- The owner owns the database, so it owns the public schema (PostgreSQL 15: pg_database_owner)
-- and can create the tables; the application role can only connect.
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'app') \gexec
SQL
echo "portal init: database ${database}, owner role ${owner_user}, application role ${app_user}"
