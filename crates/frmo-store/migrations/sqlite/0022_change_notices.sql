-- PostgreSQL's 0022 announces changes of sessions, persons, organizations' current versions and
-- members to every process, which keeps them until told; SQLite's store keeps none of them. The
-- version exists on both backends so their lists stay the same.
SELECT 1;
