"""IPS fidelity reviews: the 25-item Individual Placement and Support fidelity scale, per unit and date."""
