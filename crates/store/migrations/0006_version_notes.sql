-- Why a version was made when it was not a deploy of a new file: "scaled shop_web 3 → 6 by
-- alice on the service page".
ALTER TABLE stack_versions ADD COLUMN note TEXT NOT NULL DEFAULT '';
