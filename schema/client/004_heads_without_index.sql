-- Replica, version 4: no separate index of the heads. Every query for heads
-- names the record (and mostly the field), and the key of field_ops starts
-- with (record, field): the few operations of a place are read in one step
-- and filtered by is_head. The index cost three b-tree writes per operation
-- (the insert, and a delete and an insert when the head was superseded),
-- each on a random page, and a sixth of the replica's size.
DROP INDEX field_ops_heads;
