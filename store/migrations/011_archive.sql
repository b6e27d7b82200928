-- 011_archive — the archive keeps everything it is given (issue 10): every
-- field an SMS Backup & Restore XML file carries for an SMS and an MMS, every
-- MMS part (the SMIL layout too) with its names, content id and content
-- location, and the MMS's address list, so that a file exported comes back
-- the same when it is imported again.
--
-- The field lists are SyncTech's, the app's maker: "Fields in XML Backup
-- files" (https://synctech.com.au/sms-backup-restore/fields-in-xml-backup-files/)
-- and the XSD that page references, as transcribed in the notes
-- /work/shared/reference/backup-formats.md §4.3 (and in
-- rlittletht/wp2droidMsg sms_message.cs / mms_message.cs).
--
-- What the archive interprets has a typed column: the direction (sms.type,
-- mms.msg_box), the dates, the peer, the body, the subject, a part's type,
-- name, content id and location, an address's type. Every other field of the
-- published lists is kept as the phone wrote it, in a text column named after
-- its XML attribute ("All the field values are read as is from the
-- underlying database", says SyncTech): NULL means the file did not give it
-- (or the item came from elsewhere: SAVE, the page, MM7), and the export then
-- writes what the app writes for such an item. Attributes outside the
-- published lists (device-specific ones, e.g. Samsung's sim_slot) are kept in
-- file order in extra_names / extra_values, as are the values of interpreted
-- fields that do not read as what they should be (a date that is no number),
-- so nothing given is lost.

-- sms.type: 1 received, 2 sent, 3 draft, 4 outbox, 5 failed, 6 queued;
-- NULL: not known (SMS stored before this migration, except SAVE's, which
-- are received by the phone that saved them). phone: the account's phone an
-- SMS was saved from with SAVE ('' otherwise).
ALTER TABLE sms
    ADD COLUMN type smallint,
    ADD COLUMN date_sent timestamptz,
    ADD COLUMN phone text NOT NULL DEFAULT '',
    ADD COLUMN protocol text,
    ADD COLUMN subject text,
    ADD COLUMN toa text,
    ADD COLUMN sc_toa text,
    ADD COLUMN service_center text,
    ADD COLUMN read text,
    ADD COLUMN status text,
    ADD COLUMN locked text,
    ADD COLUMN sub_id text,
    ADD COLUMN readable_date text,
    ADD COLUMN contact_name text,
    ADD COLUMN extra_names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN extra_values text[] NOT NULL DEFAULT '{}';
UPDATE sms SET type = 1 WHERE source = 'sms';

-- mms.msg_box: 1 received (inbox), 2 sent, 3 draft, 4 outbox; NULL: not known.
ALTER TABLE mms
    ADD COLUMN msg_box smallint,
    ADD COLUMN date_sent timestamptz,
    ADD COLUMN m_type text,
    ADD COLUMN ct_t text,
    ADD COLUMN ct_l text,
    ADD COLUMN ct_cls text,
    ADD COLUMN sub_cs text,
    ADD COLUMN retr_st text,
    ADD COLUMN d_tm text,
    ADD COLUMN exp text,
    ADD COLUMN locked text,
    ADD COLUMN m_id text,
    ADD COLUMN retr_txt text,
    ADD COLUMN read text,
    ADD COLUMN rpt_a text,
    ADD COLUMN pri text,
    ADD COLUMN resp_txt text,
    ADD COLUMN d_rpt text,
    ADD COLUMN rr text,
    ADD COLUMN read_status text,
    ADD COLUMN resp_st text,
    ADD COLUMN st text,
    ADD COLUMN retr_txt_cs text,
    ADD COLUMN tr_id text,
    ADD COLUMN m_cls text,
    ADD COLUMN v text,
    ADD COLUMN m_size text,
    ADD COLUMN text_only text,
    ADD COLUMN seen text,
    ADD COLUMN readable_date text,
    ADD COLUMN contact_name text,
    ADD COLUMN extra_names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN extra_values text[] NOT NULL DEFAULT '{}';

-- content_id: a part's Content-ID without <> ('' for none). vaultmms's
-- migration 005_mm7 adds the same column the same way; whichever runs first
-- adds it. content_location: the part's Content-Location (the app's "cl",
-- its file name; '' for none). Before this migration the import kept "cl" in
-- name (or "name" when there was no "cl"), so name is what those parts had as
-- a location. xml_seq is the app's own "seq" (-1 for the SMIL part); seq
-- stays the part's place in the MMS.
ALTER TABLE mms_parts ADD COLUMN IF NOT EXISTS content_id text NOT NULL DEFAULT '';
ALTER TABLE mms_parts
    ADD COLUMN content_location text NOT NULL DEFAULT '',
    ADD COLUMN xml_seq text,
    ADD COLUMN chset text,
    ADD COLUMN cd text,
    ADD COLUMN fn text,
    ADD COLUMN ctt_s text,
    ADD COLUMN ctt_t text,
    ADD COLUMN extra_names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN extra_values text[] NOT NULL DEFAULT '{}';
UPDATE mms_parts SET content_location = name;

-- An MMS's addresses in file order. type is the PDU header they came from
-- (PduHeaders: 137 From, 151 To, 130 Cc, 129 Bcc); charset its MIBenum as
-- written (106 = UTF-8). NULL type: not a number (the value is in extra_*).
CREATE TABLE mms_addrs (
    user_id uuid NOT NULL,
    n bigint NOT NULL,
    seq integer NOT NULL,
    address text NOT NULL,
    type smallint,
    charset text,
    extra_names text[] NOT NULL DEFAULT '{}',
    extra_values text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (user_id, n, seq),
    FOREIGN KEY (user_id, n) REFERENCES mms (user_id, n) ON DELETE CASCADE
);

-- People, not rows (issue 10): a person is the contact rows of one card UID
-- (migration 008's contacts.uid) or, for rows without one, of one name
-- (case and runs of white space aside). contact_person gives that key; the
-- store reads a person's current number (its newest row) and lists people
-- through it, so the index is on the same expression.
CREATE FUNCTION contact_person(uid text, name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN uid <> '' THEN 'u:' || uid
                ELSE 'n:' || lower(btrim(regexp_replace(name, '\s+', ' ', 'g'))) END;
CREATE INDEX contacts_person ON contacts (user_id, contact_person(uid, name), n);
