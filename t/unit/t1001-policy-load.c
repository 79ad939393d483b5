#include "tap.h"
int main(void){ok1(1);return done_testing();}
