-- The card is already TEXT in SQLite; PostgreSQL's 0021 makes it text there too (issue #22). The
-- version exists on both backends so their lists stay the same.
SELECT 1;
