"""Shift work in time and place: jobs, plans, the planner, policy, runner, executors."""
