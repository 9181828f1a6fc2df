-- PostgreSQL's 0022 announces changes of sessions, persons and their roles to every process, which
-- keeps sessions until told; SQLite's store keeps none. The version exists on both backends so
-- their lists stay the same.
SELECT 1;
