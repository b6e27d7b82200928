-- 003_phone_keys — a phone is matched by the digits of its number. bearerbox
-- hands vaultbox "+8613800000001"; a person types "8613800000001",
-- "+86 138 0000 0001" or "008613800000001" on the web page. All of these are
-- one phone: msisdn_key is the number's digits without a leading
-- international "00" (st_msisdn_key() in store/store.c computes the same).
-- msisdn keeps the form it was bound with: that is the address replies and
-- codes are sent to.

ALTER TABLE phones ADD COLUMN msisdn_key text;
UPDATE phones SET msisdn_key = regexp_replace(regexp_replace(msisdn, '[^0-9]', '', 'g'), '^00', '');
-- numbers that were two rows before and are one phone now: keep the newest binding
DELETE FROM phones p USING phones q
 WHERE p.msisdn_key = q.msisdn_key
   AND (p.bound_at < q.bound_at OR (p.bound_at = q.bound_at AND p.ctid < q.ctid));
DELETE FROM phones WHERE msisdn_key = '';
ALTER TABLE phones ALTER COLUMN msisdn_key SET NOT NULL;
DROP INDEX phones_msisdn;
-- one phone belongs to one user
CREATE UNIQUE INDEX phones_msisdn_key ON phones (msisdn_key);

-- pending codes are keyed the same way (the number typed when asking for a
-- code and when confirming it may be written differently)
DELETE FROM phone_codes;
