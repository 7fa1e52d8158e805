"""Write the job log used for the backtest figure in BENCHMARKS.md.

364 daily jobs in 2023, submitted at 09:00 UTC, 4 h, 10 kWh, 24 h deadline,
home DE:

    python bench/backtest_jobs.py > bench/out/jobs_2023.csv
    wattprint backtest bench/out/jobs_2023.csv --zones DE,FR,GB \
        --series ../shared/data/carbon_intensity_DE_2023.csv \
        --series ../shared/data/carbon_intensity_FR_2023.csv \
        --series ../shared/data/carbon_intensity_GB_2023.csv \
        --column carbon_intensity_lifecycle_g_per_kwh --json
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

start = datetime(2023, 1, 1, 9, tzinfo=timezone.utc)
print("job_id,submit_utc,duration_h,energy_kwh,deadline_h,zone")
for day in range(364):
    when = (start + timedelta(days=day)).isoformat().replace("+00:00", "Z")
    print(f"d{day:03d},{when},4,10,24,DE")
