package sqlite

import "time"

func t0() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }
