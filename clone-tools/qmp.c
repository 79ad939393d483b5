int qmp_dummy;
