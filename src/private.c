/* Private zones (bastion_zone_*): being written. */
