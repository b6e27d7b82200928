-- 009_search — search that does not scan a user's archive (issue 12).
-- FIND and the web's SMS search match every word as a substring,
-- case-insensitively (ILIKE '%word%'), over the body and the peer. A trigram
-- index (pg_trgm; btree_gin lets user_id lead it) finds the candidates, and
-- the ILIKE conditions stay as they were to decide.
--
-- pg_trgm takes its trigrams from runs of letters and digits: in this
-- UTF-8 database (initdb'd with C.UTF-8, whose character classes treat CJK
-- as letters) Chinese counts, emoji and punctuation do not. A word shorter
-- than three characters gives no trigram, and Chinese words are mostly two
-- characters long; so the index is on sv_search_key(body || ' ' || peer),
-- the text lowercased with every non-ASCII character written three times
-- ("明天" -> "明明明天天天"). That keeps substrings substrings (a word in the
-- text is a word in the key, mapped the same way), and gives one- and
-- two-character Chinese words trigrams of their own. What still has none —
-- ASCII words of one or two letters, emoji, punctuation — is found by the
-- index's user_id alone, i.e. among the user's own rows as before.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE FUNCTION sv_search_key(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(lower(t), '([^\x01-\x7f])', '\1\1\1', 'g') $$;

CREATE INDEX sms_search ON sms USING gin (user_id, sv_search_key(body || ' ' || peer) gin_trgm_ops);
