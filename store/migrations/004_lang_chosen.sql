-- 004_lang_chosen — LANG EN|ZH is a preference that wins (issue 15): once a
-- user has sent LANG, every reply to the account's phones is in that
-- language, whatever language a command is written in. Until then a command
-- is answered in its own language (REG vs 注册), and lang — set at
-- registration — serves only input that has none ("?", a vCard, unknown
-- text). Accounts that sent LANG before this column existed cannot be told
-- apart and keep the old behaviour until they send LANG again.

ALTER TABLE users ADD COLUMN lang_chosen boolean NOT NULL DEFAULT false;
