/* Statistics (bastion_stats, malloc_stats, malloc_info, mallinfo2): being written. */
